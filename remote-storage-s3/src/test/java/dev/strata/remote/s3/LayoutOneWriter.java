package dev.strata.remote.s3;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Writes a segment as the S3 backend did before layout 2 (layout 1): each file one object under its own suffix
 * ({@link SegmentObjectKeys#keys}), uploaded as every object is ({@link S3Uploads}: SHA-256 in user metadata), then
 * the manifest as an object of its own, so that tests can prove that buckets written then are still read.
 */
final class LayoutOneWriter {

    private final S3Uploads uploads;
    private final SegmentObjectKeys keys;

    LayoutOneWriter(S3Client s3, S3StorageConfig config) {
        this.uploads = new S3Uploads(s3, config);
        this.keys = new SegmentObjectKeys(config.keyPrefix());
    }

    /** Stores the segment's files and {@code manifest} (none when null) in layout 1: six objects and a manifest. */
    void write(RemoteLogSegmentMetadata segment, LogSegmentData data, byte[] manifest) throws IOException {
        Map<SegmentFileType, String> fileKeys = keys.keys(segment);
        uploads.file(fileKeys.get(SegmentFileType.LOG), data.logSegment());
        uploads.file(fileKeys.get(SegmentFileType.OFFSET_INDEX), data.offsetIndex());
        uploads.file(fileKeys.get(SegmentFileType.TIME_INDEX), data.timeIndex());
        if (data.transactionIndex().isPresent()) {
            uploads.file(
                    fileKeys.get(SegmentFileType.TRANSACTION_INDEX),
                    data.transactionIndex().get());
        }
        uploads.file(fileKeys.get(SegmentFileType.PRODUCER_SNAPSHOT), data.producerSnapshotIndex());
        uploads.bytes(fileKeys.get(SegmentFileType.LEADER_EPOCH_CHECKPOINT), data.leaderEpochIndex());
        if (manifest != null) {
            uploads.bytes(keys.manifestKey(segment), ByteBuffer.wrap(manifest));
        }
    }
}
