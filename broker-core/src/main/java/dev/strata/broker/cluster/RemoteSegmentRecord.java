package dev.strata.broker.cluster;

import java.util.Arrays;
import java.util.Objects;
import org.apache.kafka.common.Uuid;

/**
 * One remote segment of a partition as the metadata quorum records it: copied and readable, or being deleted. The
 * {@code manifest} is the segment's {@code dev.strata.index.SegmentManifest} bytes (metadata and offset and time index
 * entries), opaque to the quorum, which orders and fences segments by id and offsets only; each broker turns it into
 * its own remote index.
 *
 * @param segmentId the segment's id, unique within the partition
 * @param startOffset first offset of the segment
 * @param endOffset last offset of the segment
 * @param deleting whether retention (or a failed copy's cleanup) started deleting its data: nobody reads it any more
 * @param manifest the segment's manifest in state COPY_FINISHED
 */
public record RemoteSegmentRecord(Uuid segmentId, long startOffset, long endOffset, boolean deleting, byte[] manifest) {

    public RemoteSegmentRecord {
        Objects.requireNonNull(segmentId, "segmentId");
        Objects.requireNonNull(manifest, "manifest");
        if (startOffset < 0 || endOffset < startOffset) {
            throw new IllegalArgumentException(
                    "Invalid remote segment offsets [" + startOffset + ", " + endOffset + "]");
        }
    }

    /** The same segment, its deletion started. */
    public RemoteSegmentRecord asDeleting() {
        return new RemoteSegmentRecord(segmentId, startOffset, endOffset, true, manifest);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RemoteSegmentRecord r
                && segmentId.equals(r.segmentId)
                && startOffset == r.startOffset
                && endOffset == r.endOffset
                && deleting == r.deleting
                && Arrays.equals(manifest, r.manifest);
    }

    @Override
    public int hashCode() {
        return Objects.hash(segmentId, startOffset, endOffset, deleting) * 31 + Arrays.hashCode(manifest);
    }

    @Override
    public String toString() {
        return "RemoteSegmentRecord(" + segmentId + " [" + startOffset + ", " + endOffset + "]"
                + (deleting ? " deleting" : "") + ", manifest " + manifest.length + " bytes)";
    }
}
