package dev.strata.tiering;

import dev.strata.storage.api.LatestManifests;
import dev.strata.storage.api.ManifestBundlingStorage;
import dev.strata.storage.api.ManifestReadAhead;
import dev.strata.storage.api.RemoteObjectStorage;
import dev.strata.storage.api.SegmentIndexBundle;
import dev.strata.storage.api.SegmentIndexBundle.Section;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata.CustomMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteResourceNotFoundException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link RemoteStorageManager} that keeps the remote tier in a directory: the embedded default of Strata, and a fit
 * for an NFS mount shared by the brokers. Configure it with {@code rsm.config.dir}.
 *
 * <p>Layout 2, one directory per topic partition and two files per segment, as the S3 backend's two objects:
 *
 * <pre>
 * &lt;dir&gt;/&lt;topic&gt;-&lt;topicId&gt;/&lt;partition&gt;/&lt;startOffset&gt;-&lt;segmentUuid&gt;.log
 *                                              .indexes    (the other files and the manifest, see below)
 *                                              .manifest   (only a manifest that replaced the bundled one)
 * </pre>
 *
 * <p>The {@code .indexes} file is a {@link SegmentIndexBundle} (module {@code storage-api}, the S3 backend's format)
 * holding the segment's manifest, leader-epoch checkpoint, producer snapshot, transaction index (if any), time index
 * and offset index, followed by a trailer with the CRC32C of the log and of each section ({@link BundleFile}). An index
 * is read with two ranged reads of it: the table of contents, then its section. Segments written by layout 1 (one file
 * per segment file, {@code .log .index .timeindex .txnindex .snapshot .leader-epoch-checkpoint}, and a {@code .crc}
 * checksum sidecar ({@link SegmentChecksums}) written last) are still read, also mixed with layout-2 segments in one
 * partition: the log's name is the same in both, and a segment without a bundle is read from its own files.
 *
 * <p>The start offset is written with 20 digits, as in the local log, so a directory listing sorts by offset; the
 * segment's UUID (Kafka's base64 form) keeps two uploads of the same offsets (after a leader change) apart. The files
 * of Kafka's formats are stored byte for byte: this class copies, it never re-encodes.
 *
 * <p>Crash safety. A copy writes each file under a {@code .tmp} name, forces it to disk and renames it into place
 * atomically; once the log is in place it forces the directory, then writes the bundle the same way and forces the
 * directory again. The bundle (in layout 1 the sidecar) is the commit point: a segment without one does not exist for
 * readers, so an interrupted copy leaves nothing that counts as data, and its debris is removed by the next copy or
 * delete in the same partition. A delete removes the commit point first for the same reason, and then every file of
 * either layout named after the segment, exactly that segment's files. Copy and delete are idempotent, as Kafka's
 * contract asks: a retried copy overwrites, deleting a missing segment succeeds.
 *
 * <p>Integrity. Index and auxiliary files are checked against their CRC32C (in the bundle's trailer, or the sidecar)
 * whenever they are fetched, and a mismatch is a {@link RemoteStorageException}, never data. Ranged reads of the log
 * check its size; a read of the whole log also checks its CRC32C at the end of the stream; record batches carry their
 * own CRC, which consumers check. A file that fails these checks, or a damaged bundle or sidecar, is reported as the
 * {@link ChunkCache} expects: an exception (a {@link RemoteStorageException}, or an {@link IOException} from the
 * stream) caused by a {@link CorruptRecordException}.
 *
 * <p>Manifests ({@link ManifestBundlingStorage}). Tiering copies a segment with its manifest in its bundle, so a copy
 * writes two files. A manifest that replaces it (a deletion's DELETE_STARTED) is a {@code .manifest} file, which a
 * listing prefers to the bundled one ({@link LatestManifests}) and which outlives the segment's data until tiering
 * deletes it, so it is never debris: only {@link #putManifest} and {@link #deleteManifest} touch it. It is written like
 * the other files (temporary name, force, atomic rename, forced directory); its bytes carry their own checksum.
 *
 * <p>Files ({@link LocalLogFiles}). Strata's broker reads the logs of this backend from their files, after the same size
 * check as a ranged fetch, and sends the batches it checked to consumers with {@code sendfile}; Apache Kafka, which
 * knows only the streams of {@link RemoteStorageManager}, reads them through {@link #fetchLogSegment}.
 *
 * <p>Objects ({@link RemoteObjectStorage}). For the orphan scrub every regular file under the directory is an object,
 * keyed by its path relative to the directory with {@code /} between components.
 */
public final class FileSystemRemoteStorageManager
        implements RemoteStorageManager, ManifestBundlingStorage, RemoteObjectStorage, LocalLogFiles {

    /** The directory that holds the remote tier, as the plugin receives it (Kafka strips {@code rsm.config.}). */
    public static final String DIR_CONFIG = "dir";
    /** The same setting as it appears in {@code server.properties}; accepted too if passed unstripped. */
    public static final String PREFIXED_DIR_CONFIG = "rsm.config.dir";

    private static final Logger log = LoggerFactory.getLogger(FileSystemRemoteStorageManager.class);
    private static final String CHECKSUM_SUFFIX = LayoutOneFiles.CHECKSUM_SUFFIX;
    private static final String MANIFEST_SUFFIX = LatestManifests.MANIFEST_SUFFIX;
    private static final String BUNDLE_SUFFIX = SegmentIndexBundle.SUFFIX;
    private static final String TEMP_SUFFIX = SegmentDirectory.TEMP_SUFFIX;
    /** File names this backend writes: base name (offset and UUID), then suffixes. Nothing else is ever touched. */
    private static final Pattern SEGMENT_FILE = Pattern.compile("(\\d{20}-[A-Za-z0-9_-]{22})\\..+");

    private static final Pattern MANIFEST_FILE =
            Pattern.compile("\\d{20}-[A-Za-z0-9_-]{22}\\.(" + MANIFEST_SUFFIX + "|" + BUNDLE_SUFFIX + ")");
    /** Depth of a segment's files below the root: topic directory, partition directory, file. */
    private static final int SEGMENT_FILE_DEPTH = 3;

    private final Set<Path> copiesInFlight = ConcurrentHashMap.newKeySet();
    /** The log files of the last 4,096 segments read: a replay's worth for a few hundred partitions. */
    private final RecentLogFiles recentLogs = new RecentLogFiles(4096, this::logFile);

    private volatile Path root;

    @Override
    public void configure(Map<String, ?> configs) {
        root = rootDirectory(configs);
        log.info("Remote tier in directory {}", root);
    }

    /** The directory that holds the remote tier. */
    public Path root() {
        Path dir = root;
        if (dir == null) {
            throw new IllegalStateException("FileSystemRemoteStorageManager is not configured");
        }
        return dir;
    }

    @Override
    public Optional<CustomMetadata> copyLogSegmentData(RemoteLogSegmentMetadata segment, LogSegmentData data)
            throws RemoteStorageException {
        copy(segment, data, null);
        return Optional.empty();
    }

    /** Copies the segment in layout 2 with its manifest in its bundle: two files. */
    @Override
    public void copyLogSegmentData(RemoteLogSegmentMetadata segment, LogSegmentData data, ManifestSource manifest)
            throws RemoteStorageException {
        copy(segment, data, Objects.requireNonNull(manifest, "manifest"));
    }

    /** Copies the log, then the bundle with the manifest {@code manifest} gives then (none when null). */
    private void copy(RemoteLogSegmentMetadata segment, LogSegmentData data, ManifestSource manifest)
            throws RemoteStorageException {
        Path dir = partitionDirectory(segment);
        String base = baseName(segment);
        Path owner = dir.resolve(base);
        if (!copiesInFlight.add(owner)) {
            throw new RemoteStorageException("A copy of " + describe(segment) + " is already in progress");
        }
        recentLogs.forget(segment.remoteLogSegmentId());
        try {
            createDirectories(dir);
            removeDebris(dir);
            // A retry overwrites: un-commit first, so no reader pairs an old bundle or sidecar with a new log.
            uncommit(dir, base);
            deleteSegmentFiles(dir, base);
            SegmentChecksums.Entry logEntry =
                    SegmentDirectory.copyFile(data.logSegment(), dir, base + "." + SegmentFileType.LOG.suffix());
            // The log's rename must be durable before the bundle says it exists.
            fsyncDirectory(dir);
            byte[] bundle = SegmentIndexBundle.write(data, manifest == null ? null : manifest.manifest());
            BundleFile.write(dir, base + "." + BUNDLE_SUFFIX, bundle, logEntry);
            fsyncDirectory(dir);
            log.debug("Copied {} to {}", describe(segment), dir);
        } catch (IOException | RuntimeException | RemoteStorageException e) {
            deleteSegmentFilesQuietly(dir, base);
            if (e instanceof RemoteStorageException rse) {
                throw rse;
            }
            throw new RemoteStorageException("Failed to copy " + describe(segment) + " to " + dir + ": " + e, e);
        } finally {
            copiesInFlight.remove(owner);
        }
    }

    @Override
    public InputStream fetchLogSegment(RemoteLogSegmentMetadata segment, int startPosition)
            throws RemoteStorageException {
        return openLog(segment, startPosition, Long.MAX_VALUE);
    }

    /** Reads the log from {@code startPosition} to {@code endPosition}, both inclusive, as Kafka's contract says. */
    @Override
    public InputStream fetchLogSegment(RemoteLogSegmentMetadata segment, int startPosition, int endPosition)
            throws RemoteStorageException {
        if (endPosition < startPosition) {
            throw new IllegalArgumentException(
                    "endPosition " + endPosition + " is before startPosition " + startPosition);
        }
        return openLog(segment, startPosition, (long) endPosition + 1);
    }

    @Override
    public InputStream fetchIndex(RemoteLogSegmentMetadata segment, IndexType indexType) throws RemoteStorageException {
        SegmentFileType type = SegmentFileType.of(indexType);
        Path dir = partitionDirectory(segment);
        String base = baseName(segment);
        Path bundle = dir.resolve(base + "." + BUNDLE_SUFFIX);
        try (FileChannel channel = FileChannel.open(bundle, StandardOpenOption.READ)) {
            Section section = Section.of(indexType);
            return new ByteArrayInputStream(BundleFile.section(channel, section)
                    .orElseThrow(() -> new RemoteResourceNotFoundException(
                            describe(segment) + " has no " + type.suffix() + " in " + bundle)));
        } catch (NoSuchFileException e) {
            return LayoutOneFiles.index(describe(segment), type, dir, base);
        } catch (CorruptRecordException e) {
            throw corrupt(describe(segment) + " is corrupt: " + bundle + ": " + e.getMessage());
        } catch (IOException e) {
            throw new RemoteStorageException("Failed to read " + bundle + ": " + e, e);
        }
    }

    @Override
    public void deleteLogSegmentData(RemoteLogSegmentMetadata segment) throws RemoteStorageException {
        Path dir = partitionDirectory(segment);
        if (!Files.isDirectory(dir)) {
            return;
        }
        String base = baseName(segment);
        recentLogs.forget(segment.remoteLogSegmentId());
        try {
            // The segment stops counting as data before any of its files goes.
            uncommit(dir, base);
            deleteSegmentFiles(dir, base);
            removeDebris(dir);
            fsyncDirectory(dir);
            log.debug("Deleted {} from {}", describe(segment), dir);
        } catch (IOException e) {
            throw new RemoteStorageException("Failed to delete " + describe(segment) + " from " + dir + ": " + e, e);
        }
    }

    @Override
    public void putManifest(RemoteLogSegmentMetadata segment, byte[] manifest) throws RemoteStorageException {
        Path dir = partitionDirectory(segment);
        String name = baseName(segment) + "." + MANIFEST_SUFFIX;
        try {
            createDirectories(dir);
            SegmentDirectory.writeAtomically(ByteBuffer.wrap(manifest), dir, name);
            fsyncDirectory(dir);
        } catch (IOException e) {
            throw new RemoteStorageException(
                    "Failed to write the manifest of " + describe(segment) + " to " + dir + ": " + e, e);
        }
    }

    @Override
    public void deleteManifest(RemoteLogSegmentMetadata segment) throws RemoteStorageException {
        Path dir = partitionDirectory(segment);
        if (!Files.isDirectory(dir)) {
            return;
        }
        String name = baseName(segment) + "." + MANIFEST_SUFFIX;
        try {
            boolean deleted = Files.deleteIfExists(dir.resolve(name));
            deleted |= Files.deleteIfExists(dir.resolve(name + TEMP_SUFFIX));
            if (deleted) {
                fsyncDirectory(dir);
            }
        } catch (IOException e) {
            throw new RemoteStorageException(
                    "Failed to delete the manifest of " + describe(segment) + " from " + dir + ": " + e, e);
        }
    }

    @Override
    public Stream<byte[]> listManifests() throws RemoteStorageException {
        Path dir = root();
        BiPredicate<Path, BasicFileAttributes> manifestFile = (path, attributes) -> attributes.isRegularFile()
                && MANIFEST_FILE.matcher(path.getFileName().toString()).matches();
        try {
            // partition by partition, in name order, so that a segment's bundle and manifest file are next to each
            // other
            Stream<Path> partitions = Files.find(
                    dir,
                    SEGMENT_FILE_DEPTH - 1,
                    (path, attributes) ->
                            attributes.isDirectory() && dir.relativize(path).getNameCount() == SEGMENT_FILE_DEPTH - 1);
            Stream<String> names = partitions
                    .flatMap(partition -> sortedFiles(partition, manifestFile))
                    .map(Path::toString);
            return ManifestReadAhead.read(
                    LatestManifests.of(names).map(Paths::get), FileSystemRemoteStorageManager::readManifest);
        } catch (IOException e) {
            throw new RemoteStorageException("Failed to list the manifests in " + dir + ": " + e, e);
        }
    }

    @Override
    public Stream<StoredObject> listObjects(String prefix) throws RemoteStorageException {
        Path dir = root();
        if (!Files.isDirectory(dir)) {
            return Stream.empty();
        }
        try {
            return Files.find(dir, Integer.MAX_VALUE, (path, attributes) -> attributes.isRegularFile())
                    .map(path -> new StoredObject(key(dir, path), sizeOf(path)))
                    .filter(object -> object.key().startsWith(prefix) && object.sizeBytes() >= 0);
        } catch (IOException e) {
            throw new RemoteStorageException("Failed to list the files in " + dir + ": " + e, e);
        }
    }

    @Override
    public void deleteObject(String key) throws RemoteStorageException {
        Path dir = root();
        Path path = dir.resolve(key).normalize();
        if (!path.startsWith(dir)) {
            throw new RemoteStorageException("Object " + key + " lies outside " + dir);
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new RemoteStorageException("Failed to delete " + path + ": " + e, e);
        }
    }

    private static String key(Path dir, Path path) {
        Path relative = dir.relativize(path);
        StringBuilder key = new StringBuilder();
        for (Path name : relative) {
            if (key.length() > 0) {
                key.append('/');
            }
            key.append(name);
        }
        return key.toString();
    }

    /** The file's size, or -1 if it was deleted since it was listed. */
    private static long sizeOf(Path path) {
        try {
            return Files.size(path);
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        // No open resources: every stream owns its own channel.
    }

    /** The files of a partition directory that {@code keep} accepts, in name order. */
    private static Stream<Path> sortedFiles(Path partition, BiPredicate<Path, BasicFileAttributes> keep) {
        try (Stream<Path> files = Files.find(partition, 1, keep)) {
            return files.sorted().toList().stream();
        } catch (NoSuchFileException e) {
            return Stream.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to list the manifests in " + partition, e);
        }
    }

    /**
     * The manifest's bytes: a manifest file whole, or the manifest section of a bundle (two ranged reads); empty if it
     * was deleted since it was listed, or is a bundle without a manifest (Apache Kafka's copy). A damaged bundle gives
     * bytes that are no manifest, which the rebuild counts and skips as it does a corrupt manifest.
     */
    private static Optional<byte[]> readManifest(Path path) {
        try {
            if (!path.getFileName().toString().endsWith("." + BUNDLE_SUFFIX)) {
                return Optional.of(Files.readAllBytes(path));
            }
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
                return BundleFile.section(channel, Section.MANIFEST);
            } catch (CorruptRecordException e) {
                log.warn("Corrupt bundle file {}: {}", path, e.getMessage());
                return Optional.of(new byte[0]);
            }
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to read the manifest " + path, e);
        }
    }

    static Path rootDirectory(Map<String, ?> configs) {
        Object value = configs.containsKey(DIR_CONFIG) ? configs.get(DIR_CONFIG) : configs.get(PREFIXED_DIR_CONFIG);
        if (value == null) {
            throw new ConfigException("FileSystemRemoteStorageManager needs " + PREFIXED_DIR_CONFIG
                    + ", the directory that holds the remote tier (for example " + PREFIXED_DIR_CONFIG
                    + "=/var/lib/strata/remote)");
        }
        String text = value.toString().trim();
        if (text.isEmpty()) {
            throw new ConfigException(PREFIXED_DIR_CONFIG, value, "it must name a directory, and it is empty");
        }
        Path dir;
        try {
            dir = Paths.get(text).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new ConfigException(PREFIXED_DIR_CONFIG, value, "it is not a valid path: " + e.getMessage());
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new ConfigException(PREFIXED_DIR_CONFIG, value, dir + " exists and is not a directory");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ConfigException(PREFIXED_DIR_CONFIG, value, "the directory cannot be created: " + e);
        }
        if (!Files.isWritable(dir)) {
            throw new ConfigException(PREFIXED_DIR_CONFIG, value, dir + " is not writable by this process");
        }
        return dir;
    }

    private InputStream openLog(RemoteLogSegmentMetadata segment, long start, long endExclusive)
            throws RemoteStorageException {
        if (start < 0) {
            throw new IllegalArgumentException("startPosition " + start + " is negative");
        }
        RecentLogFiles.Opened opened = recentLogs.open(segment);
        FileChannel channel = opened.channel();
        SegmentChecksums.Entry expected = opened.file().checksum();
        Path path = opened.file().path();
        try {
            long size = channel.size();
            long from = Math.min(start, size);
            long to = Math.min(endExclusive, size);
            OptionalInt crc = from == 0 && to == size ? OptionalInt.of(expected.crc32c()) : OptionalInt.empty();
            return new FileRangeInputStream(channel, from, to, crc, path.toString());
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            throw new RemoteStorageException("Failed to read " + path + ": " + e, e);
        }
    }

    /** The log's file, opened for reading once its size is the one its bundle or sidecar records. */
    @Override
    public FileChannel openLog(RemoteLogSegmentMetadata segment) throws RemoteStorageException {
        return recentLogs.open(segment).channel();
    }

    /** Where the segment's log is and what its bundle or sidecar says of it, read from the bundle or sidecar. */
    private RecentLogFiles.LogFile logFile(RemoteLogSegmentMetadata segment) throws RemoteStorageException {
        Path dir = partitionDirectory(segment);
        String base = baseName(segment);
        return new RecentLogFiles.LogFile(
                dir.resolve(base + "." + SegmentFileType.LOG.suffix()), logChecksum(segment, dir, base));
    }

    /** The log's size and CRC32C: from the bundle's trailer, or for a layout-1 segment from its sidecar. */
    private SegmentChecksums.Entry logChecksum(RemoteLogSegmentMetadata segment, Path dir, String base)
            throws RemoteStorageException {
        Path bundle = dir.resolve(base + "." + BUNDLE_SUFFIX);
        try (FileChannel channel = FileChannel.open(bundle, StandardOpenOption.READ)) {
            return BundleFile.trailer(channel).log();
        } catch (NoSuchFileException e) {
            return LayoutOneFiles.checksums(describe(segment), dir, base)
                    .entry(SegmentFileType.LOG)
                    .orElseThrow(() ->
                            corrupt(describe(segment) + " is corrupt: its checksum sidecar has no entry for the log"));
        } catch (CorruptRecordException e) {
            throw corrupt(describe(segment) + " is corrupt: " + bundle + ": " + e.getMessage());
        } catch (IOException e) {
            throw new RemoteStorageException("Failed to read " + bundle + ": " + e, e);
        }
    }

    private Path partitionDirectory(RemoteLogSegmentMetadata segment) {
        TopicIdPartition partition = segment.topicIdPartition();
        return root().resolve(partition.topic() + "-" + partition.topicId())
                .resolve(Integer.toString(partition.partition()));
    }

    private static String baseName(RemoteLogSegmentMetadata segment) {
        return String.format(
                "%020d-%s", segment.startOffset(), segment.remoteLogSegmentId().id());
    }

    /** The error of a file whose bytes are not those copied: see the class comment. */
    private static RemoteStorageException corrupt(String message) {
        return LayoutOneFiles.corrupt(message);
    }

    static String describe(RemoteLogSegmentMetadata segment) {
        TopicIdPartition partition = segment.topicIdPartition();
        return "remote segment " + segment.remoteLogSegmentId().id() + " of " + partition.topic() + "-"
                + partition.partition() + " (offsets " + segment.startOffset() + "-" + segment.endOffset() + ")";
    }

    /**
     * Removes what interrupted copies and deletes left in a partition directory: temporary files, and files of
     * segments without a bundle or sidecar. Segments this instance is copying right now are left alone.
     */
    private void removeDebris(Path dir) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                Matcher matcher = SEGMENT_FILE.matcher(name);
                if (!matcher.matches() || isManifest(name) || copiesInFlight.contains(dir.resolve(matcher.group(1)))) {
                    continue;
                }
                boolean committed = Files.exists(dir.resolve(matcher.group(1) + "." + BUNDLE_SUFFIX))
                        || Files.exists(dir.resolve(matcher.group(1) + "." + CHECKSUM_SUFFIX));
                if (name.endsWith(TEMP_SUFFIX) || !committed) {
                    Files.deleteIfExists(file);
                    log.info("Removed {}, left by an interrupted copy or delete", file);
                }
            }
        }
    }

    /** A manifest or its temporary file: it outlives the segment's data files, and is never debris. */
    private static boolean isManifest(String name) {
        return name.endsWith("." + MANIFEST_SUFFIX) || name.endsWith("." + MANIFEST_SUFFIX + TEMP_SUFFIX);
    }

    /** Removes the segment's commit points of both layouts, its bundle and its sidecar, and makes that durable. */
    private static void uncommit(Path dir, String base) throws IOException {
        boolean bundle = Files.deleteIfExists(dir.resolve(base + "." + BUNDLE_SUFFIX));
        if (Files.deleteIfExists(dir.resolve(base + "." + CHECKSUM_SUFFIX)) || bundle) {
            fsyncDirectory(dir);
        }
    }

    /** Every file of either layout named after the segment but its manifest file, and their temporary files. */
    private static void deleteSegmentFiles(Path dir, String base) throws IOException {
        for (SegmentFileType type : SegmentFileType.values()) {
            Files.deleteIfExists(dir.resolve(base + "." + type.suffix()));
            Files.deleteIfExists(dir.resolve(base + "." + type.suffix() + TEMP_SUFFIX));
        }
        Files.deleteIfExists(dir.resolve(base + "." + BUNDLE_SUFFIX + TEMP_SUFFIX));
        Files.deleteIfExists(dir.resolve(base + "." + CHECKSUM_SUFFIX + TEMP_SUFFIX));
    }

    private static void deleteSegmentFilesQuietly(Path dir, String base) {
        try {
            Files.deleteIfExists(dir.resolve(base + "." + BUNDLE_SUFFIX));
            Files.deleteIfExists(dir.resolve(base + "." + CHECKSUM_SUFFIX));
            deleteSegmentFiles(dir, base);
        } catch (IOException e) {
            log.warn(
                    "Could not clean up after a failed copy in {}; the next copy or delete will: {}",
                    dir,
                    e.toString());
        }
    }

    private static void createDirectories(Path dir) throws IOException {
        SegmentDirectory.createDirectories(dir);
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        SegmentDirectory.fsyncDirectory(dir);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("Could not close {}", channel, e);
        }
    }
}
