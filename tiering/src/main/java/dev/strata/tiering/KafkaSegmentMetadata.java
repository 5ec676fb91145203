package dev.strata.tiering;

import dev.strata.index.PartitionKey;
import dev.strata.index.RemoteSegment;
import dev.strata.index.RemoteSegmentState;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata.CustomMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentState;

/**
 * Between Strata's remote index and Kafka's KIP-405 types: the {@link RemoteLogSegmentMetadata} a
 * {@link org.apache.kafka.server.log.remote.storage.RemoteStorageManager} needs to find a segment's objects, and the
 * index's partition key of a Kafka partition. Stateless.
 */
final class KafkaSegmentMetadata {
    private KafkaSegmentMetadata() {}

    static RemoteLogSegmentMetadata metadataFor(TopicIdPartition tip, RemoteSegment segment) {
        byte[] custom = segment.customMetadata();
        return new RemoteLogSegmentMetadata(
                new RemoteLogSegmentId(tip, topicId(segment.id().segmentId())),
                segment.startOffset(),
                segment.endOffset(),
                segment.maxTimestampMs(),
                segment.brokerId(),
                segment.eventTimestampMs(),
                Math.toIntExact(segment.sizeInBytes()),
                custom.length == 0 ? Optional.empty() : Optional.of(new CustomMetadata(custom)),
                kafkaState(segment.state()),
                segment.leaderEpochs());
    }

    static RemoteLogSegmentState kafkaState(RemoteSegmentState state) {
        return switch (state) {
            case COPY_STARTED -> RemoteLogSegmentState.COPY_SEGMENT_STARTED;
            case COPY_FINISHED -> RemoteLogSegmentState.COPY_SEGMENT_FINISHED;
            case DELETE_STARTED -> RemoteLogSegmentState.DELETE_SEGMENT_STARTED;
            case DELETE_FINISHED -> RemoteLogSegmentState.DELETE_SEGMENT_FINISHED;
        };
    }

    static PartitionKey key(TopicIdPartition tip) {
        Uuid id = tip.topicId();
        return new PartitionKey(new UUID(id.getMostSignificantBits(), id.getLeastSignificantBits()), tip.partition());
    }

    static Uuid topicId(UUID id) {
        return new Uuid(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }
}
