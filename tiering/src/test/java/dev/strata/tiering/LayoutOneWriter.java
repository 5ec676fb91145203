package dev.strata.tiering;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;

/**
 * Writes a segment as {@link FileSystemRemoteStorageManager} did before layout 2: one file per segment file and the
 * {@code .crc} sidecar last, so that tests can check that such segments stay readable and deletable.
 */
final class LayoutOneWriter {

    private LayoutOneWriter() {}

    static void write(Path root, RemoteLogSegmentMetadata segment, LogSegmentData data) throws IOException {
        Path dir = root.resolve(segment.topicIdPartition().topic() + "-"
                        + segment.topicIdPartition().topicId())
                .resolve(Integer.toString(segment.topicIdPartition().partition()));
        Files.createDirectories(dir);
        String base = String.format(
                "%020d-%s", segment.startOffset(), segment.remoteLogSegmentId().id());
        Map<SegmentFileType, SegmentChecksums.Entry> entries = new EnumMap<>(SegmentFileType.class);
        entries.put(SegmentFileType.LOG, copy(data.logSegment(), dir, base, SegmentFileType.LOG));
        entries.put(SegmentFileType.OFFSET_INDEX, copy(data.offsetIndex(), dir, base, SegmentFileType.OFFSET_INDEX));
        entries.put(SegmentFileType.TIME_INDEX, copy(data.timeIndex(), dir, base, SegmentFileType.TIME_INDEX));
        if (data.transactionIndex().isPresent()) {
            entries.put(
                    SegmentFileType.TRANSACTION_INDEX,
                    copy(data.transactionIndex().get(), dir, base, SegmentFileType.TRANSACTION_INDEX));
        }
        entries.put(
                SegmentFileType.PRODUCER_SNAPSHOT,
                copy(data.producerSnapshotIndex(), dir, base, SegmentFileType.PRODUCER_SNAPSHOT));
        entries.put(
                SegmentFileType.LEADER_EPOCH_CHECKPOINT,
                SegmentDirectory.writeFile(
                        data.leaderEpochIndex().duplicate(),
                        dir,
                        base + "." + SegmentFileType.LEADER_EPOCH_CHECKPOINT.suffix()));
        byte[] sidecar = new SegmentChecksums(entries).format().getBytes(UTF_8);
        SegmentDirectory.writeAtomically(ByteBuffer.wrap(sidecar), dir, base + "." + LayoutOneFiles.CHECKSUM_SUFFIX);
    }

    private static SegmentChecksums.Entry copy(Path source, Path dir, String base, SegmentFileType type)
            throws IOException {
        return SegmentDirectory.copyFile(source, dir, base + "." + type.suffix());
    }
}
