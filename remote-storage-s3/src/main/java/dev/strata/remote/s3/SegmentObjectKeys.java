package dev.strata.remote.s3;

import java.util.EnumMap;
import java.util.Map;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;

/**
 * Object keys of a remote segment:
 * {@code <prefix><topic>-<topicId>/<partition>/<20-digit start offset>-<segment uuid>.<suffix>}.
 *
 * <p>Keys are a pure function of the segment metadata, so a retried or repeated copy overwrites the same objects
 * instead of leaving orphans, and a delete can name every object without listing the bucket. The topic id keeps a
 * re-created topic of the same name apart from the old one; the zero-padded start offset makes a lexicographic
 * listing of a partition come out in offset order, like the file names of a Kafka log directory.
 */
public final class SegmentObjectKeys {

    private final String prefix;

    public SegmentObjectKeys(String prefix) {
        this.prefix = prefix;
    }

    /** The key of one file of the segment. */
    public String key(RemoteLogSegmentMetadata segment, SegmentFileType type) {
        return segmentPrefix(segment) + "." + type.suffix();
    }

    /** The keys of every file a segment can have, in upload order. */
    public Map<SegmentFileType, String> keys(RemoteLogSegmentMetadata segment) {
        Map<SegmentFileType, String> keys = new EnumMap<>(SegmentFileType.class);
        String base = segmentPrefix(segment);
        for (SegmentFileType type : SegmentFileType.values()) {
            keys.put(type, base + "." + type.suffix());
        }
        return keys;
    }

    /** The common prefix of every object of one partition, ending in '/'. */
    public String partitionPrefix(TopicIdPartition partition) {
        return prefix + partition.topic() + "-" + partition.topicId() + "/" + partition.partition() + "/";
    }

    private String segmentPrefix(RemoteLogSegmentMetadata segment) {
        return partitionPrefix(segment.topicIdPartition())
                + String.format("%020d", segment.startOffset())
                + "-" + segment.remoteLogSegmentId().id();
    }
}
