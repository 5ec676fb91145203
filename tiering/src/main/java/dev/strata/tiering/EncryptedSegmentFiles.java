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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager.IndexType;

/**
 * The encrypted copies of a segment's files that {@link EncryptedRemoteStorage} hands to the backend in place of the
 * local files: a backend copies {@link LogSegmentData}, which names files, so the ciphertext is written to a temporary
 * directory that {@link #close()} removes once the backend has copied it. The leader-epoch checkpoint, in memory
 * already, is encrypted in memory.
 *
 * <p>The temporary directories live in {@value #WORK_DIR_NAME} under the segment's own log dir (beside its partition
 * directories; the broker's log manager skips names starting with {@code __strata}), not in {@code java.io.tmpdir}: a
 * segment can be a gibibyte, and ten copier threads would put ten of them on a {@code /tmp} that is often small, or
 * in memory. Each directory's name holds its process's id; the first copy of a JVM under a log dir deletes what a
 * process that no longer runs left there when it stopped mid-copy.
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
        Path directory = Files.createTempDirectory(workDir(plain.logSegment()), DIR_PREFIX + PID + "-");
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

    /** Under a log dir, where the encrypted copies are written. */
    static final String WORK_DIR_NAME = "__strata-encrypting";

    private static final String DIR_PREFIX = "segment-";
    private static final long PID = ProcessHandle.current().pid();

    /** The work directories this JVM has emptied of the leftovers of processes that no longer run. */
    private static final Set<Path> CLEANED = ConcurrentHashMap.newKeySet();

    /**
     * {@value #WORK_DIR_NAME} in the log dir of {@code logSegment} ({@code <log dir>/<topic>-<partition>/<file>}),
     * created if need be; on its first use in this JVM, the directories of processes that no longer run are deleted.
     */
    static Path workDir(Path logSegment) throws IOException {
        Path partitionDir = logSegment.toAbsolutePath().getParent();
        Path logDir = partitionDir == null ? null : partitionDir.getParent();
        if (logDir == null) {
            throw new IOException("Cannot tell the log dir of " + logSegment);
        }
        Path workDir = logDir.resolve(WORK_DIR_NAME);
        Files.createDirectories(workDir);
        synchronized (CLEANED) {
            if (CLEANED.add(workDir)) {
                try (Stream<Path> leftovers = Files.list(workDir)) {
                    leftovers
                            .filter(EncryptedSegmentFiles::leftByAStoppedProcess)
                            .forEach(EncryptedSegmentFiles::deleteRecursively);
                }
            }
        }
        return workDir;
    }

    private static boolean leftByAStoppedProcess(Path directory) {
        String name = directory.getFileName().toString();
        if (!name.startsWith(DIR_PREFIX)) {
            return false;
        }
        String[] parts = name.substring(DIR_PREFIX.length()).split("-", 2);
        try {
            return ProcessHandle.of(Long.parseLong(parts[0])).isEmpty();
        } catch (NumberFormatException e) {
            return false;
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
