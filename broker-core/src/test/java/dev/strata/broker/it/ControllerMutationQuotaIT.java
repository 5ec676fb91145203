package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreatePartitionsOptions;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DeleteTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.ThrottlingQuotaExceededException;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.CreateTopicsResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code controller_mutation_rate} (KIP-599), set with Apache Kafka 4.3.1's {@code kafka-configs.sh} on the user of a
 * PLAINTEXT connection ({@code ANONYMOUS}) and felt by the real Admin client with
 * {@code retryOnQuotaViolation(false)}. With {@code controller.quota.window.num=10} of 1 s and a rate of 0.2 partitions
 * a second, the user's burst is 2 partitions: a first request creating 2 and then 8 partitions is served whole
 * (each topic finds the bucket at zero or above) and leaves it 8 partitions, 40 s, in debt, so the next CreateTopics,
 * DeleteTopics and CreatePartitions are refused with THROTTLING_QUOTA_EXCEEDED and a throttle time. Each is sent on a
 * new Admin client: the one that was told to wait would hold its next request back until the bucket has refilled. A
 * CreateTopics v5, whose clients do not know the error, is served and throttled.
 */
class ControllerMutationQuotaIT {
    @RegisterExtension
    static final TestBroker BROKER = TestBroker.withConfig(
            Map.of("controller.quota.window.num", "10", "controller.quota.window.size.seconds", "1"));

    private static final ClientQuotaEntity ANONYMOUS =
            new ClientQuotaEntity(Map.of(ClientQuotaEntity.USER, "ANONYMOUS"));

    private static void assertThrottled(java.util.concurrent.Future<?> future) {
        assertThatThrownBy(() -> future.get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOfSatisfying(ThrottlingQuotaExceededException.class, e -> assertThat(e.throttleTimeMs())
                        .isBetween(1, 40_000));
    }

    /** {@code kafka-configs.sh --alter} of the user {@code ANONYMOUS}, with {@code change}. */
    private static String alterAnonymous(String... change) throws Exception {
        List<String> args =
                new java.util.ArrayList<>(List.of("--alter", "--entity-type", "users", "--entity-name", "ANONYMOUS"));
        args.addAll(List.of(change));
        return ScramAuthenticationIT.kafkaConfigs(BROKER, args.toArray(String[]::new));
    }

    @Test
    void mutationsOverTheQuotaAreRefusedWithAThrottleTimeAndThoseUnderItAreMade() throws Exception {
        assertThat(alterAnonymous("--add-config", "controller_mutation_rate=0.2"))
                .contains("Completed updating config for user ANONYMOUS.");
        assertThat(ScramAuthenticationIT.kafkaConfigs(
                        BROKER, "--describe", "--entity-type", "users", "--entity-name", "ANONYMOUS"))
                .contains("controller_mutation_rate=0.2");

        try (Admin admin = BROKER.admin()) {
            admin.createTopics(
                            List.of(new NewTopic("under-1", 2, (short) 1), new NewTopic("under-2", 8, (short) 1)),
                            new CreateTopicsOptions().retryOnQuotaViolation(false))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        try (Admin admin = BROKER.admin()) {
            assertThrottled(admin.createTopics(
                            List.of(new NewTopic("over", 1, (short) 1)),
                            new CreateTopicsOptions().retryOnQuotaViolation(false))
                    .all());
        }
        try (Admin admin = BROKER.admin()) {
            assertThrottled(
                    admin.deleteTopics(List.of("under-1"), new DeleteTopicsOptions().retryOnQuotaViolation(false))
                            .all());
        }
        try (Admin admin = BROKER.admin()) {
            assertThrottled(admin.createPartitions(
                            Map.of("under-2", NewPartitions.increaseTo(9)),
                            new CreatePartitionsOptions().retryOnQuotaViolation(false))
                    .all());
        }
        // a client too old for THROTTLING_QUOTA_EXCEEDED (CreateTopics v5): its topic is made, and it is throttled
        try (KafkaWire wire = KafkaWire.connect(BROKER.port())) {
            CreateTopicsRequestData.CreatableTopicCollection topics =
                    new CreateTopicsRequestData.CreatableTopicCollection();
            topics.add(new CreateTopicsRequestData.CreatableTopic()
                    .setName("old-client")
                    .setNumPartitions(1)
                    .setReplicationFactor((short) 1));
            CreateTopicsResponse response = (CreateTopicsResponse) wire.send(
                    new CreateTopicsRequest.Builder(
                            new CreateTopicsRequestData().setTopics(topics).setTimeoutMs(30_000)),
                    (short) 5);
            assertThat(response.data().topics().find("old-client").errorCode()).isZero();
            assertThat(response.throttleTimeMs()).isBetween(1, 50_000);
        }
        // a fresh connection: the last one is held back for the throttle time, by the broker and its client
        try (Admin admin = BROKER.admin()) {
            assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
                    .contains("under-1", "under-2", "old-client")
                    .doesNotContain("over");
            assertThat(admin.describeTopics(List.of("under-2"))
                            .allTopicNames()
                            .get(30, TimeUnit.SECONDS)
                            .get("under-2")
                            .partitions())
                    .hasSize(8);
            assertThat(admin.describeClientQuotas(ClientQuotaFilter.all())
                            .entities()
                            .get(30, TimeUnit.SECONDS))
                    .isEqualTo(Map.of(ANONYMOUS, Map.of("controller_mutation_rate", 0.2)));
        }

        alterAnonymous("--delete-config", "controller_mutation_rate");
        try (Admin admin = BROKER.admin()) {
            admin.createTopics(
                            List.of(new NewTopic("over", 1, (short) 1)),
                            new CreateTopicsOptions().retryOnQuotaViolation(false))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
    }
}
