package dev.strata.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.security.InMemoryScramCredentials;
import dev.strata.broker.security.ScramMechanism;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData.ScramCredentialDeletion;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData.ScramCredentialUpsertion;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData.AlterUserScramCredentialsResult;
import org.apache.kafka.common.message.DescribeUserScramCredentialsRequestData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsRequestData.UserName;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData.DescribeUserScramCredentialsResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AlterUserScramCredentialsRequest;
import org.apache.kafka.common.requests.DescribeUserScramCredentialsRequest;
import org.junit.jupiter.api.Test;

/** Kafka's per-user answers of AlterUserScramCredentials and DescribeUserScramCredentials, on a store in memory. */
class ScramCredentialsHandlerTest {
    private final InMemoryScramCredentials store =
            new InMemoryScramCredentials().with("alice", "pw", ScramMechanism.SCRAM_SHA_256, 4096);
    private final ScramCredentialsHandler handler = new ScramCredentialsHandler(store);

    private static ScramCredentialUpsertion upsert(String user, int mechanism, int iterations, byte[] salt) {
        return new ScramCredentialUpsertion()
                .setName(user)
                .setMechanism((byte) mechanism)
                .setIterations(iterations)
                .setSalt(salt)
                .setSaltedPassword(new byte[32]);
    }

    private Map<String, Errors> alter(List<ScramCredentialDeletion> deletions, List<ScramCredentialUpsertion> ups) {
        AlterUserScramCredentialsRequestData data = new AlterUserScramCredentialsRequestData()
                .setDeletions(deletions)
                .setUpsertions(ups);
        return handler.alter(new AlterUserScramCredentialsRequest.Builder(data).build((short) 0)).results().stream()
                .collect(Collectors.toMap(AlterUserScramCredentialsResult::user, r -> Errors.forCode(r.errorCode())));
    }

    @Test
    void everyUserGetsItsOwnAnswerAndOnlyTheAcceptedChangesAreStored() {
        Map<String, Errors> results = alter(
                List.of(
                        new ScramCredentialDeletion().setName("alice").setMechanism((byte) 1),
                        new ScramCredentialDeletion().setName("ghost").setMechanism((byte) 1)),
                List.of(
                        upsert("bob", 2, 8192, new byte[] {1}),
                        upsert("", 1, 8192, new byte[] {1}),
                        upsert("carol", 3, 8192, new byte[] {1}),
                        upsert("dave", 1, 4095, new byte[] {1}),
                        upsert("erin", 1, 16385, new byte[] {1}),
                        upsert("frank", 1, 4096, new byte[0]),
                        upsert("gina", 1, 4096, new byte[] {1}),
                        upsert("gina", 2, 4096, new byte[] {1})));
        assertThat(results)
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "alice", Errors.NONE,
                        "ghost", Errors.RESOURCE_NOT_FOUND,
                        "bob", Errors.NONE,
                        "", Errors.UNACCEPTABLE_CREDENTIAL,
                        "carol", Errors.UNSUPPORTED_SASL_MECHANISM,
                        "dave", Errors.UNACCEPTABLE_CREDENTIAL,
                        "erin", Errors.UNACCEPTABLE_CREDENTIAL,
                        "frank", Errors.UNACCEPTABLE_CREDENTIAL,
                        "gina", Errors.DUPLICATE_RESOURCE));
        assertThat(store.scramCredentials()).containsOnlyKeys("bob");
        assertThat(store.scramCredential("bob", ScramMechanism.SCRAM_SHA_512))
                .hasValueSatisfying(c -> assertThat(c.iterations()).isEqualTo(8192));
    }

    @Test
    void describeAnswersEveryUserOrTheNamedOnesWithKafkasErrors() {
        store.with("bob", "pw", ScramMechanism.SCRAM_SHA_512, 8192);
        store.with("bob", "pw", ScramMechanism.SCRAM_SHA_256, 4096);
        List<DescribeUserScramCredentialsResult> all = handler.describe(new DescribeUserScramCredentialsRequest.Builder(
                                new DescribeUserScramCredentialsRequestData().setUsers(null))
                        .build((short) 0))
                .results();
        assertThat(all).extracting(DescribeUserScramCredentialsResult::user).containsExactly("alice", "bob");
        assertThat(all.get(1).credentialInfos())
                .extracting(i -> i.mechanism() + "/" + i.iterations())
                .containsExactly("1/4096", "2/8192");

        List<DescribeUserScramCredentialsResult> named = handler.describe(
                        new DescribeUserScramCredentialsRequest.Builder(new DescribeUserScramCredentialsRequestData()
                                        .setUsers(List.of(
                                                new UserName().setName("alice"),
                                                new UserName().setName("ghost"),
                                                new UserName().setName("bob"),
                                                new UserName().setName("bob"))))
                                .build((short) 0))
                .results();
        assertThat(named)
                .extracting(r -> r.user() + ":" + Errors.forCode(r.errorCode()))
                .containsExactly("alice:NONE", "ghost:RESOURCE_NOT_FOUND", "bob:DUPLICATE_RESOURCE");
    }
}
