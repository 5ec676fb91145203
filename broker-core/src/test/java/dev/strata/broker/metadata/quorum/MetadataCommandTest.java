package dev.strata.broker.metadata.quorum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.cluster.ListenerEndpoint;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.broker.security.ScramCredentialStore;
import dev.strata.broker.security.ScramMechanism;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

/** Log entries and snapshots read back what was written, and refuse bytes that are not exactly that. */
class MetadataCommandTest {
    private static final TopicMetadata TOPIC =
            new TopicMetadata("orders", Uuid.randomUuid(), 3, Map.of("retention.ms", "1000", "cleanup.policy", "x"));
    private static final AclBinding ALICE_READS = new AclBinding(
            new ResourcePattern(ResourceType.TOPIC, "orders-", PatternType.PREFIXED),
            new AccessControlEntry("User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW));
    private static final AclBinding BOB_DENIED = new AclBinding(
            new ResourcePattern(ResourceType.GROUP, "*", PatternType.LITERAL),
            new AccessControlEntry("User:bob", "10.0.0.1", AclOperation.ALL, AclPermissionType.DENY));
    private static final BrokerRegistration BROKER =
            new BrokerRegistration(2, "broker-2", 9192, Optional.of("rack-b"), Uuid.randomUuid());

    @Test
    void everyCommandRoundTrips() throws IOException {
        for (MetadataCommand c : List.of(
                new MetadataCommand.PutTopic(TOPIC),
                new MetadataCommand.RemoveTopic("orders"),
                new MetadataCommand.ReserveProducerIds(1000),
                new MetadataCommand.RegisterBroker(BROKER),
                new MetadataCommand.RegisterBroker(
                        new BrokerRegistration(3, "h", 1, Optional.empty(), Uuid.randomUuid())),
                new MetadataCommand.SetBrokerConfigs("", Map.of("log.retention.ms", "1000")),
                new MetadataCommand.SetBrokerConfigs("2", Map.of()),
                new MetadataCommand.ChangeAcls(List.of(ALICE_READS), List.of(BOB_DENIED)))) {
            assertThat(MetadataCommand.fromBytes(c.toBytes())).isEqualTo(c);
        }
    }

    @Test
    void malformedEntriesAreRefused() {
        byte[] bytes = new MetadataCommand.ReserveProducerIds(5).toBytes();
        assertThatThrownBy(() -> MetadataCommand.fromBytes(Arrays.copyOf(bytes, bytes.length + 1)))
                .hasMessageContaining("bytes left");
        assertThatThrownBy(() -> MetadataCommand.fromBytes(new byte[] {99})).hasMessageContaining("Unknown");
        assertThatThrownBy(() -> new MetadataCommand.ReserveProducerIds(0).validate())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MetadataCommand.PutTopic(TOPIC.withPartitions(0)).validate())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MetadataCommand.SetBrokerConfigs("one", Map.of()).validate())
                .isInstanceOf(IllegalArgumentException.class);
        AclBinding unknown = new AclBinding(
                new ResourcePattern(ResourceType.TOPIC, "t", PatternType.LITERAL),
                new AccessControlEntry("User:a", "*", AclOperation.UNKNOWN, AclPermissionType.ALLOW));
        assertThatThrownBy(() -> new MetadataCommand.ChangeAcls(List.of(unknown), List.of()).validate())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void dynamicBrokerConfigsAreKeptByEntityAndSurviveASnapshot() throws IOException {
        MetadataImage image = new MetadataImage();
        new MetadataCommand.SetBrokerConfigs("", Map.of("log.retention.ms", "1000")).applyTo(image);
        new MetadataCommand.SetBrokerConfigs("2", Map.of("log.cleaner.threads", "2")).applyTo(image);
        new MetadataCommand.SetBrokerConfigs("3", Map.of("log.cleaner.threads", "3")).applyTo(image);
        new MetadataCommand.SetBrokerConfigs("3", Map.of()).applyTo(image);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        image.writeTo(new DataOutputStream(bytes));
        MetadataImage read = MetadataImage.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(read.allBrokerConfigs())
                .isEqualTo(Map.of("", Map.of("log.retention.ms", "1000"), "2", Map.of("log.cleaner.threads", "2")));
        assertThat(read.brokerConfigs("3")).isEmpty();
        assertThat(ImageDiff.between(image, read)).isEmpty();
        assertThat(ImageDiff.between(read, new MetadataImage()))
                .containsExactly(
                        new ClusterChange.BrokerConfigsChanged("", Map.of()),
                        new ClusterChange.BrokerConfigsChanged("2", Map.of()));
    }

    private static ScramCredentialStore.Change scram(String user, ScramMechanism mechanism, String password) {
        byte[] salt = ("salt-" + user).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return new ScramCredentialStore.Change(
                user,
                mechanism,
                password == null
                        ? null
                        : mechanism.credential(salt, mechanism.saltedPassword(password, salt, 4096), 4096));
    }

    @Test
    void scramCredentialsRoundTripAndSurviveASnapshotWithoutAnyPassword() throws IOException {
        MetadataCommand alter = new MetadataCommand.AlterScramCredentials(List.of(
                scram("alice", ScramMechanism.SCRAM_SHA_256, "alice-secret"),
                scram("alice", ScramMechanism.SCRAM_SHA_512, "alice-secret"),
                scram("bob", ScramMechanism.SCRAM_SHA_512, "bob-secret")));
        assertThat(MetadataCommand.fromBytes(alter.toBytes())).isEqualTo(alter);
        MetadataCommand delete = new MetadataCommand.AlterScramCredentials(List.of(
                scram("alice", ScramMechanism.SCRAM_SHA_512, null),
                scram("nobody", ScramMechanism.SCRAM_SHA_256, null)));
        assertThat(MetadataCommand.fromBytes(delete.toBytes())).isEqualTo(delete);
        assertThatThrownBy(() -> new MetadataCommand.AlterScramCredentials(
                                List.of(scram("", ScramMechanism.SCRAM_SHA_256, "x")))
                        .validate())
                .isInstanceOf(IllegalArgumentException.class);

        MetadataImage image = new MetadataImage();
        alter.applyTo(image);
        delete.applyTo(image);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        image.writeTo(new DataOutputStream(bytes));
        assertThat(new String(bytes.toByteArray(), java.nio.charset.StandardCharsets.ISO_8859_1))
                .doesNotContain("alice-secret")
                .doesNotContain("bob-secret");
        MetadataImage read = MetadataImage.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(read.scramCredentials().sorted())
                .isEqualTo(image.scramCredentials().sorted());
        assertThat(read.scramCredentials().sorted().keySet()).containsExactly("alice", "bob");
        assertThat(read.scramCredentials().credential("alice", ScramMechanism.SCRAM_SHA_256))
                .contains(scram("alice", ScramMechanism.SCRAM_SHA_256, "alice-secret")
                        .credential());
        assertThat(read.scramCredentials().credential("alice", ScramMechanism.SCRAM_SHA_512))
                .isEmpty();
    }

    @Test
    void aclsAreAddedRemovedAndSurviveASnapshot() throws IOException {
        MetadataImage image = new MetadataImage();
        new MetadataCommand.ChangeAcls(List.of(ALICE_READS, BOB_DENIED), List.of()).applyTo(image);
        new MetadataCommand.ChangeAcls(List.of(ALICE_READS), List.of()).applyTo(image);
        assertThat(image.acls().all()).containsExactlyInAnyOrder(ALICE_READS, BOB_DENIED);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        image.writeTo(new DataOutputStream(bytes));
        MetadataImage read = MetadataImage.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(read.acls().all()).containsExactlyInAnyOrder(ALICE_READS, BOB_DENIED);

        new MetadataCommand.ChangeAcls(List.of(), List.of(BOB_DENIED)).applyTo(read);
        assertThat(read.acls().all()).containsExactly(ALICE_READS);
    }

    @Test
    void theImageRoundTripsThroughASnapshot() throws IOException {
        MetadataImage image = new MetadataImage();
        new MetadataCommand.PutTopic(TOPIC).applyTo(image);
        new MetadataCommand.RegisterBroker(BROKER).applyTo(image);
        assertThat(new MetadataCommand.ReserveProducerIds(1000).applyTo(image)).isZero();
        assertThat(new MetadataCommand.ReserveProducerIds(1000).applyTo(image)).isEqualTo(1000);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        image.writeTo(new DataOutputStream(bytes));
        MetadataImage read = MetadataImage.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(read.topics()).containsExactly(TOPIC);
        assertThat(read.topic(TOPIC.topicId())).contains(TOPIC);
        assertThat(read.brokers()).containsExactly(BROKER);
        assertThat(read.nextProducerId()).isEqualTo(2000);
    }

    @Test
    void listenerEndpointsRoundTripAndARegistrationWithoutThemKeepsItsOldBytes() throws IOException {
        BrokerRegistration withEndpoints = new BrokerRegistration(
                4,
                "10.0.0.4",
                9092,
                Optional.empty(),
                Uuid.randomUuid(),
                List.of(
                        new ListenerEndpoint("INTERNAL", "10.0.0.4", 9092),
                        new ListenerEndpoint("EXTERNAL", "broker-4.example.com", 9094)));
        MetadataCommand register = new MetadataCommand.RegisterBroker(withEndpoints);
        assertThat(register.toBytes()[0]).isEqualTo((byte) 22);
        assertThat(MetadataCommand.fromBytes(register.toBytes())).isEqualTo(register);
        // written before brokers registered their listeners: type 4, read back without endpoints
        assertThat(new MetadataCommand.RegisterBroker(BROKER).toBytes()[0]).isEqualTo((byte) 4);
        assertThatThrownBy(() -> new MetadataCommand.RegisterBroker(new BrokerRegistration(
                                5,
                                "h",
                                1,
                                Optional.empty(),
                                Uuid.randomUuid(),
                                List.of(new ListenerEndpoint("A", "h", 70000))))
                        .validate())
                .isInstanceOf(IllegalArgumentException.class);

        MetadataImage image = new MetadataImage();
        register.applyTo(image);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        image.writeTo(new DataOutputStream(bytes));
        MetadataImage read = MetadataImage.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(read.brokers()).containsExactly(withEndpoints);
    }

    @Test
    void aSnapshotOfVersionSixLoadsItsBrokersWithoutEndpoints() throws IOException {
        MetadataImage image = new MetadataImage();
        new MetadataCommand.RegisterBroker(BROKER).applyTo(image);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        image.writeTo(new DataOutputStream(bytes));
        ByteArrayOutputStream broker = new ByteArrayOutputStream();
        MetadataCodec.writeBroker(new DataOutputStream(broker), BROKER);
        // version 6: the same bytes without the broker's endpoint count, which follows the broker's fields
        byte[] v7 = bytes.toByteArray();
        int endpointCount = 4 + 8 + 4 + 4 + broker.size();
        ByteArrayOutputStream v6 = new ByteArrayOutputStream();
        new DataOutputStream(v6).writeInt(6);
        v6.write(v7, 4, endpointCount - 4);
        v6.write(v7, endpointCount + 4, v7.length - endpointCount - 4);

        MetadataImage read = MetadataImage.readFrom(new DataInputStream(new ByteArrayInputStream(v6.toByteArray())));
        assertThat(read.brokers()).containsExactly(BROKER);
        assertThat(read.brokers().iterator().next().endpoints()).isEmpty();
    }

    @Test
    void replacingATopicUnderItsNameForgetsTheOldId() {
        MetadataImage image = new MetadataImage();
        new MetadataCommand.PutTopic(TOPIC).applyTo(image);
        TopicMetadata recreated = new TopicMetadata("orders", Uuid.randomUuid(), 1, Map.of());
        new MetadataCommand.PutTopic(recreated).applyTo(image);
        assertThat(image.topic(TOPIC.topicId())).isEmpty();
        assertThat(image.topic("orders")).contains(recreated);
        new MetadataCommand.RemoveTopic("orders").applyTo(image);
        assertThat(image.topics()).isEmpty();
        assertThat(image.topic(recreated.topicId())).isEmpty();
    }
}
