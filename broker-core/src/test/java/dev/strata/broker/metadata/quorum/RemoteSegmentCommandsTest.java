package dev.strata.broker.metadata.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.cluster.RemoteSegmentRecord;
import dev.strata.broker.metadata.TopicMetadata;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The replicated record of a partition's remote tier: only the leader of the current epoch records a copy or starts a
 * deletion, a copy must extend the tier, a failed copy's cleanup abandons its id for good, the record survives a
 * snapshot, and every change reaches the listeners.
 */
class RemoteSegmentCommandsTest {
    private final MetadataImage image = new MetadataImage();
    private TopicMetadata topic;

    @BeforeEach
    void threeBrokersAndAPartitionLedByBroker1() {
        for (int id = 1; id <= 3; id++) {
            Uuid incarnation = Uuid.randomUuid();
            apply(new MetadataCommand.RegisterBroker(
                    new BrokerRegistration(id, "127.0.0.1", 9000 + id, Optional.empty(), incarnation)));
            apply(new MetadataCommand.UnfenceBroker(id, incarnation));
        }
        topic = new TopicMetadata("t", Uuid.randomUuid(), 1, Map.of("remote.storage.enable", "true"));
        assertThat(apply(new MetadataCommand.CreateTopic(topic, List.of(List.of(1, 2, 3)))))
                .isZero();
        image.drainChanges();
    }

    @Test
    void everyRemoteSegmentCommandRoundTrips() throws IOException {
        RemoteSegmentRecord segment = segment(0, 99);
        for (MetadataCommand c : List.of(
                new MetadataCommand.CopySegmentFinished(topic.topicId(), 0, 1, 0, segment),
                new MetadataCommand.DeleteSegmentStarted(topic.topicId(), 0, 1, 0, segment.segmentId()),
                new MetadataCommand.DeleteSegmentFinished(topic.topicId(), 0, segment.segmentId()))) {
            assertThat(MetadataCommand.fromBytes(c.toBytes())).isEqualTo(c);
        }
    }

    @Test
    void onlyTheLeaderOfTheCurrentEpochRecordsACopy() {
        RemoteSegmentRecord segment = segment(0, 99);
        assertThat(apply(copy(2, 0, segment))).isEqualTo(-Errors.FENCED_LEADER_EPOCH.code());
        apply(new MetadataCommand.FenceBroker(1)); // broker 2 leads in epoch 1
        assertThat(apply(copy(1, 0, segment))).isEqualTo(-Errors.FENCED_LEADER_EPOCH.code());
        assertThat(image.remoteSegments(topic.topicId(), 0)).isEmpty();

        assertThat(apply(copy(2, 1, segment))).isZero();
        assertThat(image.remoteSegments(topic.topicId(), 0)).containsExactly(segment);
        assertThat(apply(copy(2, 1, segment))).as("recorded twice").isZero();
        assertThat(image.remoteSegments(topic.topicId(), 0)).containsExactly(segment);
    }

    @Test
    void aCopyMustExtendTheRemoteTier() {
        assertThat(apply(copy(1, 0, segment(0, 99)))).isZero();
        assertThat(apply(copy(1, 0, segment(50, 99)))).isEqualTo(-Errors.INVALID_REQUEST.code());
        assertThat(apply(copy(1, 0, segment(0, 80)))).isEqualTo(-Errors.INVALID_REQUEST.code());
        assertThat(apply(copy(1, 0, segment(60, 150))))
                .as("overlapping but extending")
                .isZero();
        assertThat(image.remoteSegments(topic.topicId(), 0))
                .extracting(RemoteSegmentRecord::endOffset)
                .containsExactly(99L, 150L);
    }

    @Test
    void deletionIsFencedAndTheRecordForgetsTheSegmentOnceItsDataIsGone() {
        RemoteSegmentRecord segment = segment(0, 99);
        apply(copy(1, 0, segment));
        Uuid id = segment.segmentId();
        assertThat(apply(new MetadataCommand.DeleteSegmentFinished(topic.topicId(), 0, id)))
                .as("never started")
                .isEqualTo(-Errors.INVALID_REQUEST.code());
        assertThat(apply(new MetadataCommand.DeleteSegmentStarted(topic.topicId(), 0, 2, 0, id)))
                .isEqualTo(-Errors.FENCED_LEADER_EPOCH.code());
        assertThat(apply(new MetadataCommand.DeleteSegmentStarted(topic.topicId(), 0, 1, 0, id)))
                .isZero();
        assertThat(image.remoteSegment(topic.topicId(), 0, id)).contains(segment.asDeleting());
        assertThat(apply(new MetadataCommand.DeleteSegmentFinished(topic.topicId(), 0, id)))
                .isZero();
        assertThat(image.remoteSegments(topic.topicId(), 0)).isEmpty();
        assertThat(apply(copy(1, 0, segment(0, 99))))
                .as("below what was recorded")
                .isEqualTo(-Errors.INVALID_REQUEST.code());
    }

    @Test
    void aFailedCopyCleanedUpByAnExLeaderCanNeverBeRecorded() {
        RemoteSegmentRecord late = segment(0, 99);
        apply(new MetadataCommand.FenceBroker(1));
        // broker 1's copy was refused or its outcome was unknown: its cleanup is accepted from it
        assertThat(apply(new MetadataCommand.DeleteSegmentStarted(topic.topicId(), 0, 1, 0, late.segmentId())))
                .isZero();
        assertThat(apply(copy(2, 1, late))).isEqualTo(-Errors.INVALID_REQUEST.code());
        assertThat(image.remoteSegments(topic.topicId(), 0)).isEmpty();
    }

    @Test
    void theRecordSurvivesASnapshotAndGoesWithItsTopic() throws IOException {
        RemoteSegmentRecord first = segment(0, 99);
        RemoteSegmentRecord second = segment(100, 199);
        apply(copy(1, 0, first));
        apply(copy(1, 0, second));
        apply(new MetadataCommand.DeleteSegmentStarted(topic.topicId(), 0, 1, 0, first.segmentId()));
        Uuid abandoned = Uuid.randomUuid();
        apply(new MetadataCommand.DeleteSegmentStarted(topic.topicId(), 0, 1, 0, abandoned));

        MetadataImage read = roundTrip(image);
        assertThat(read.remoteSegments(topic.topicId(), 0)).containsExactly(first.asDeleting(), second);
        assertThat(new MetadataCommand.CopySegmentFinished(
                                topic.topicId(),
                                0,
                                1,
                                0,
                                new RemoteSegmentRecord(abandoned, 200, 299, false, new byte[1]))
                        .applyTo(read))
                .as("still abandoned after the snapshot")
                .isEqualTo(-Errors.INVALID_REQUEST.code());
        assertThat(read.asChanges())
                .filteredOn(c -> c instanceof ClusterChange.RemoteSegmentChanged)
                .hasSize(2);

        new MetadataCommand.RemoveTopic("t").applyTo(read);
        assertThat(read.remoteSegments(topic.topicId(), 0)).isEmpty();
    }

    @Test
    void listenersAreToldEachChangeAndASnapshotTellsWhatWentMissing() throws IOException {
        RemoteSegmentRecord segment = segment(0, 99);
        apply(copy(1, 0, segment));
        TopicPartition tp = new TopicPartition("t", 0);
        assertThat(image.drainChanges())
                .containsExactly(new ClusterChange.RemoteSegmentChanged(
                        topic.topicId(), tp, segment.segmentId(), Optional.of(segment)));
        MetadataImage before = roundTrip(image);

        apply(new MetadataCommand.DeleteSegmentStarted(topic.topicId(), 0, 1, 0, segment.segmentId()));
        apply(new MetadataCommand.DeleteSegmentFinished(topic.topicId(), 0, segment.segmentId()));
        assertThat(image.drainChanges())
                .containsExactly(
                        new ClusterChange.RemoteSegmentChanged(
                                topic.topicId(), tp, segment.segmentId(), Optional.of(segment.asDeleting())),
                        new ClusterChange.RemoteSegmentChanged(
                                topic.topicId(), tp, segment.segmentId(), Optional.empty()));
        assertThat(roundTrip(image).changesSince(before))
                .containsExactly(new ClusterChange.RemoteSegmentChanged(
                        topic.topicId(), tp, segment.segmentId(), Optional.empty()));
    }

    private MetadataCommand copy(int leader, int epoch, RemoteSegmentRecord segment) {
        return new MetadataCommand.CopySegmentFinished(topic.topicId(), 0, leader, epoch, segment);
    }

    private static RemoteSegmentRecord segment(long start, long end) {
        return new RemoteSegmentRecord(Uuid.randomUuid(), start, end, false, new byte[] {1, 2, (byte) start});
    }

    private static MetadataImage roundTrip(MetadataImage image) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        image.writeTo(new DataOutputStream(bytes));
        return MetadataImage.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    }

    private long apply(MetadataCommand command) {
        command.validate();
        return command.applyTo(image);
    }
}
