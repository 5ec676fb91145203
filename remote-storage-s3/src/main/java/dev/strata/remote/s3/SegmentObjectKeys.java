package dev.strata.remote.s3;

import dev.strata.storage.api.LatestManifests;
import dev.strata.storage.api.SegmentIndexBundle;
import java.util.EnumMap;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
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
 *
 * <p>Two layouts share these keys. Layout 2, which every copy writes, stores a segment as two objects: its log under
 * {@link #key key(segment, LOG)} and every other file, with Strata's manifest, in a {@link
 * dev.strata.storage.api.SegmentIndexBundle} under {@link #bundleKey} (suffix {@value #BUNDLE_SUFFIX}). Layout 1, read
 * for segments tiered before it, stored each file under its own suffix ({@link #keys}). The log has the same key in
 * both, so reading records never asks which layout a segment has.
 *
 * <p>A segment's manifest, which Strata's tiering writes and lists to rebuild its index, has the same stem with the
 * suffix {@value #MANIFEST_SUFFIX}: in layout 1 every manifest, in layout 2 only one that replaces the bundled one (a
 * deletion's DELETE_STARTED). It is not one of the segment's files: it outlives their deletion.
 */
public final class SegmentObjectKeys {

    /** Suffix of a segment manifest's key. */
    public static final String MANIFEST_SUFFIX = LatestManifests.MANIFEST_SUFFIX;

    /** Suffix of a layout-2 segment's bundle of indexes, snapshot, checkpoint and manifest. */
    public static final String BUNDLE_SUFFIX = SegmentIndexBundle.SUFFIX;

    /** What follows the prefix in a manifest's key: topic and id, partition, offset and segment uuid, suffix. */
    private static final Pattern MANIFEST_KEY_TAIL = keyTail(MANIFEST_SUFFIX);

    private static final Pattern BUNDLE_KEY_TAIL = keyTail(BUNDLE_SUFFIX);

    private final String prefix;

    public SegmentObjectKeys(String prefix) {
        this.prefix = prefix;
    }

    /** The key of one file of the segment. */
    public String key(RemoteLogSegmentMetadata segment, SegmentFileType type) {
        return segmentPrefix(segment) + "." + type.suffix();
    }

    /** The layout-1 keys of every file a segment can have, in upload order; the log's is layout 2's too. */
    public Map<SegmentFileType, String> keys(RemoteLogSegmentMetadata segment) {
        Map<SegmentFileType, String> keys = new EnumMap<>(SegmentFileType.class);
        String base = segmentPrefix(segment);
        for (SegmentFileType type : SegmentFileType.values()) {
            keys.put(type, base + "." + type.suffix());
        }
        return keys;
    }

    /** The key of a layout-2 segment's {@link dev.strata.storage.api.SegmentIndexBundle}. */
    public String bundleKey(RemoteLogSegmentMetadata segment) {
        return segmentPrefix(segment) + "." + BUNDLE_SUFFIX;
    }

    /** Whether {@code key} is the key of a bundle in this layout, as {@link #isManifestKey} for manifests. */
    public boolean isBundleKey(String key) {
        return key.startsWith(prefix)
                && BUNDLE_KEY_TAIL.matcher(key.substring(prefix.length())).matches();
    }

    /**
     * The keys of a listing of manifests and bundles ({@link #isManifestKey}, {@link #isBundleKey}) in key order, with
     * one key per segment: a segment's manifest object replaces the manifest in its bundle (it was written after it,
     * by a deletion), and the two are next to each other in key order.
     */
    static Stream<String> latestManifests(Stream<String> keys) {
        return LatestManifests.of(keys);
    }

    /** The key of the segment's manifest. */
    public String manifestKey(RemoteLogSegmentMetadata segment) {
        return segmentPrefix(segment) + "." + MANIFEST_SUFFIX;
    }

    /** The prefix every key of this layout starts with: the configured key prefix. */
    public String prefix() {
        return prefix;
    }

    /**
     * Whether {@code key} is the key of a manifest in this layout: the prefix, then exactly the topic, partition and
     * segment levels. Keys under a longer prefix (another cluster's, when this prefix is empty) do not match.
     */
    public boolean isManifestKey(String key) {
        return key.startsWith(prefix)
                && MANIFEST_KEY_TAIL.matcher(key.substring(prefix.length())).matches();
    }

    /** The common prefix of every object of one partition, ending in '/'. */
    public String partitionPrefix(TopicIdPartition partition) {
        return prefix + partition.topic() + "-" + partition.topicId() + "/" + partition.partition() + "/";
    }

    private static Pattern keyTail(String suffix) {
        return Pattern.compile("[^/]+-[A-Za-z0-9_-]{22}/\\d+/\\d{20}-[A-Za-z0-9_-]{22}\\." + suffix);
    }

    private String segmentPrefix(RemoteLogSegmentMetadata segment) {
        return partitionPrefix(segment.topicIdPartition())
                + String.format("%020d", segment.startOffset())
                + "-" + segment.remoteLogSegmentId().id();
    }
}
