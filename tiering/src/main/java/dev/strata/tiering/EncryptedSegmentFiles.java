package dev.strata.tiering;

import dev.strata.tiering.ChunkedCipher.FileType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager.IndexType;

/**
 * The encrypted copies of a segment's files that {@link EncryptedRemoteStorage} hands to the backend in place of the
 * local files: a backend copies {@link LogSegmentData}, which names files, so the ciphertext is written to a temporary
 * directory (under {@code java.io.tmpdir}) that {@link #close()} removes once the backend has copied it. The
 * leader-epoch checkpoint, in memory already, is encrypted in memory.
 */
final class EncryptedSegmentFiles implements AutoCloseable {

    private final Path directory;
    private final LogSegmentData data;

    private EncryptedSegmentFiles(Path directory, LogSegmentData data) {
        this.directory = directory;
        this.data = data;
    }

    /**
     * Encrypts {@code plain}'s files with {@code cipher}: the first {@code logSize} bytes of its log (the segment's
     * size as the remote index records it), and the whole of every other file.
     */
    static EncryptedSegmentFiles write(ChunkedCipher cipher, LogSegmentData plain, long logSize) throws IOException {
        Path directory = Files.createTempDirectory("strata-encrypted-segment-");
        try {
            Path log = encryptFile(cipher, FileType.LOG, plain.logSegment(), logSize, directory);
            Path offsetIndex = encryptFile(cipher, FileType.OFFSET_INDEX, plain.offsetIndex(), -1, directory);
            Path timeIndex = encryptFile(cipher, FileType.TIME_INDEX, plain.timeIndex(), -1, directory);
            Optional<Path> txnIndex = Optional.empty();
            if (plain.transactionIndex().isPresent()) {
                txnIndex = Optional.of(encryptFile(
                        cipher,
                        FileType.TRANSACTION_INDEX,
                        plain.transactionIndex().get(),
                        -1,
                        directory));
            }
            Path snapshot =
                    encryptFile(cipher, FileType.PRODUCER_SNAPSHOT, plain.producerSnapshotIndex(), -1, directory);
            ByteBuffer checkpoint = plain.leaderEpochIndex().duplicate();
            byte[] epochs = new byte[checkpoint.remaining()];
            checkpoint.get(epochs);
            ByteBuffer sealedEpochs = ByteBuffer.wrap(cipher.encrypt(FileType.LEADER_EPOCH_CHECKPOINT, epochs));
            return new EncryptedSegmentFiles(
                    directory, new LogSegmentData(log, offsetIndex, timeIndex, txnIndex, snapshot, sealedEpochs));
        } catch (IOException | RuntimeException e) {
            deleteRecursively(directory);
            throw e;
        }
    }

    /** The encrypted files, for the backend's copy. */
    LogSegmentData data() {
        return data;
    }

    /** The file type of an index Kafka's SPI asks for. */
    static FileType fileType(IndexType type) {
        return switch (type) {
            case OFFSET -> FileType.OFFSET_INDEX;
            case TIMESTAMP -> FileType.TIME_INDEX;
            case TRANSACTION -> FileType.TRANSACTION_INDEX;
            case PRODUCER_SNAPSHOT -> FileType.PRODUCER_SNAPSHOT;
            case LEADER_EPOCH -> FileType.LEADER_EPOCH_CHECKPOINT;
        };
    }

    @Override
    public void close() {
        deleteRecursively(directory);
    }

    private static Path encryptFile(ChunkedCipher cipher, FileType type, Path source, long size, Path directory)
            throws IOException {
        long plainSize = size >= 0 ? size : Files.size(source);
        Path target = directory.resolve(type.name().toLowerCase(java.util.Locale.ROOT));
        try (InputStream in = Files.newInputStream(source);
                OutputStream out = Files.newOutputStream(target)) {
            cipher.encrypt(type, new java.io.BufferedInputStream(in, 1 << 16), plainSize, out);
        }
        return target;
    }

    private static void deleteRecursively(Path directory) {
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    // a leftover in the temporary directory: nothing a reader depends on
                }
            });
        } catch (IOException e) {
            // as above
        }
    }
}
