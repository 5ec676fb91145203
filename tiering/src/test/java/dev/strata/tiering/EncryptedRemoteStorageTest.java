package dev.strata.tiering;

import static dev.strata.tiering.TestSegments.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata.CustomMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager.IndexType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encryption around the filesystem backend: the files on its disk hold only ciphertext, ranged reads return the
 * plaintext, keys rotate while old segments stay readable, plaintext segments pass through, and a missing or wrong key
 * is an error that names it.
 */
class EncryptedRemoteStorageTest {

    private static final int LOG_SIZE = 300_000;

    @TempDir
    Path dir;

    private final List<RemoteStorageManager> opened = new java.util.ArrayList<>();
    private FileSystemRemoteStorageManager backend;
    private Path keyFile;

    @BeforeEach
    void openBackend() throws IOException {
        backend = new FileSystemRemoteStorageManager();
        backend.configure(Map.of("dir", dir.resolve("remote").toString()));
        keyFile = dir.resolve("keys.properties");
        writeKeys(keyFile, "k1", 1, "k2", 2);
    }

    @AfterEach
    void close() throws IOException {
        backend.close();
    }

    @Test
    void theBackendHoldsOnlyCiphertextAndEveryRangeReadsBack() throws Exception {
        EncryptedRemoteStorage storage = encrypted(true, "k1", keyFile);
        TestSegments.LocalSegment local = TestSegments.localSegment(dir.resolve("local"), LOG_SIZE, 7, true);
        RemoteLogSegmentMetadata segment = copy(storage, local);

        assertThat(SegmentEnvelope.of(segment.customMetadata().orElseThrow().value())
                        .orElseThrow()
                        .keyId())
                .isEqualTo("k1");
        try (Stream<Path> files = Files.walk(dir.resolve("remote"))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                byte[] stored = Files.readAllBytes(file);
                assertThat(indexOf(stored, Arrays.copyOfRange(local.log(), 1000, 1032)))
                        .as(file.toString())
                        .isNegative();
            }
        }
        int chunk = RemoteEncryptionConfig.DEFAULT_CHUNK_SIZE;
        int[][] ranges = {
            {0, 0},
            {0, LOG_SIZE - 1},
            {chunk - 1, chunk},
            {chunk, 2 * chunk - 1},
            {100, 200_000},
            {LOG_SIZE - 1, LOG_SIZE - 1},
            {4 * chunk + 3, LOG_SIZE + 500}
        };
        for (int[] range : ranges) {
            int end = Math.min(range[1], LOG_SIZE - 1);
            assertThat(readAll(storage.fetchLogSegment(segment, range[0], range[1])))
                    .as("%d..%d", range[0], range[1])
                    .isEqualTo(Arrays.copyOfRange(local.log(), range[0], end + 1));
        }
        assertThat(readAll(storage.fetchLogSegment(segment, 123_456)))
                .isEqualTo(Arrays.copyOfRange(local.log(), 123_456, LOG_SIZE));
        assertThat(readAll(storage.fetchIndex(segment, IndexType.OFFSET))).isEqualTo(local.offsetIndex());
        assertThat(readAll(storage.fetchIndex(segment, IndexType.TRANSACTION))).isEqualTo(local.txnIndex());
        assertThat(readAll(storage.fetchIndex(segment, IndexType.LEADER_EPOCH))).isEqualTo(local.epochs());
        assertThat(readAll(storage.fetchIndex(segment, IndexType.PRODUCER_SNAPSHOT)))
                .isEqualTo(local.snapshot());
    }

    @Test
    void aRotatedKeyKeepsOldSegmentsReadableAndARetiredOneFailsNamingIt() throws Exception {
        TestSegments.LocalSegment local = TestSegments.localSegment(dir.resolve("local"), LOG_SIZE, 8, false);
        RemoteLogSegmentMetadata old = copy(encrypted(true, "k1", keyFile), local);

        EncryptedRemoteStorage rotated = encrypted(true, "k2", keyFile);
        RemoteLogSegmentMetadata fresh = copy(rotated, local);
        assertThat(SegmentEnvelope.of(fresh.customMetadata().orElseThrow().value())
                        .orElseThrow()
                        .keyId())
                .isEqualTo("k2");
        assertThat(readAll(rotated.fetchLogSegment(old, 0, 99))).isEqualTo(Arrays.copyOf(local.log(), 100));
        assertThat(readAll(rotated.fetchLogSegment(fresh, 0, 99))).isEqualTo(Arrays.copyOf(local.log(), 100));

        Path onlyK2 = dir.resolve("k2.properties");
        writeKeys(onlyK2, "k2", 2);
        EncryptedRemoteStorage retired = encrypted(true, "k2", onlyK2);
        assertThatThrownBy(() -> retired.fetchLogSegment(old, 0, 99))
                .isInstanceOf(KafkaStorageException.class)
                .hasMessageContaining("'k1'");
        assertThat(readAll(retired.fetchLogSegment(fresh, 0, 99))).isEqualTo(Arrays.copyOf(local.log(), 100));
    }

    @Test
    void otherKeyBytesUnderTheSameIdAreAnErrorNotWrongData() throws Exception {
        TestSegments.LocalSegment local = TestSegments.localSegment(dir.resolve("local"), 5000, 9, false);
        RemoteLogSegmentMetadata segment = copy(encrypted(true, "k1", keyFile), local);
        Path other = dir.resolve("other.properties");
        writeKeys(other, "k1", 42);

        assertThatThrownBy(() -> encrypted(true, "k1", other).fetchLogSegment(segment, 0, 10))
                .isInstanceOf(KafkaStorageException.class)
                .hasMessageContaining("'k1'")
                .hasMessageContaining("not the key the segment was written with");
    }

    @Test
    void plaintextSegmentsStayReadableOnceEncryptionIsOnAndEncryptedOnesOnceItIsOff() throws Exception {
        TestSegments.LocalSegment local = TestSegments.localSegment(dir.resolve("local"), 70_000, 10, false);
        RemoteLogSegmentMetadata plain = TestSegments.metadata(0, 70_000);
        backend.copyLogSegmentData(plain, local.data());
        RemoteLogSegmentMetadata encrypted = copy(encrypted(true, "k1", keyFile), local);

        EncryptedRemoteStorage off = encrypted(false, "", keyFile);
        assertThat(off.newSegmentMetadata()).isNull();
        assertThat(readAll(off.fetchLogSegment(plain, 65_000, 69_999)))
                .isEqualTo(Arrays.copyOfRange(local.log(), 65_000, 70_000));
        assertThat(readAll(off.fetchLogSegment(encrypted, 65_000, 69_999)))
                .isEqualTo(Arrays.copyOfRange(local.log(), 65_000, 70_000));
        assertThat(readAll(encrypted(true, "k1", keyFile).fetchIndex(plain, IndexType.TIMESTAMP)))
                .isEqualTo(local.timeIndex());
    }

    @Test
    void manifestsAreSealedAndOpenedAndAMissingKeyStopsTheListing() throws Exception {
        EncryptedRemoteStorage storage = encrypted(true, "k1", keyFile);
        TestSegments.LocalSegment local = TestSegments.localSegment(dir.resolve("local"), 1000, 11, false);
        RemoteLogSegmentMetadata segment = copy(storage, local);
        byte[] manifest = "STRM manifest with a secret-marker".getBytes(StandardCharsets.UTF_8);

        storage.putManifest(segment, manifest);

        try (Stream<byte[]> raw = backend.listManifests()) {
            assertThat(new String(raw.toList().get(0), StandardCharsets.ISO_8859_1))
                    .doesNotContain("secret-marker");
        }
        try (Stream<byte[]> opened = storage.listManifests()) {
            assertThat(opened.toList()).containsExactly(manifest);
        }
        Path onlyK2 = dir.resolve("k2.properties");
        writeKeys(onlyK2, "k2", 2);
        EncryptedRemoteStorage withoutK1 = encrypted(false, "", onlyK2);
        assertThatThrownBy(() -> {
                    try (Stream<byte[]> listed = withoutK1.listManifests()) {
                        listed.toList();
                    }
                })
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("'k1'");
    }

    @Test
    void keysComeFromAPkcs12OrJceksKeystore() throws Exception {
        for (String type : List.of("PKCS12", "JCEKS")) {
            Path store = dir.resolve("keys." + type);
            KeyStore keyStore = KeyStore.getInstance(type);
            keyStore.load(null, null);
            char[] password = "changeit".toCharArray();
            keyStore.setEntry(
                    "rotated-2026",
                    new KeyStore.SecretKeyEntry(new SecretKeySpec(TestSegments.randomBytes(32, 5), "AES")),
                    new KeyStore.PasswordProtection(password));
            try (var out = Files.newOutputStream(store)) {
                keyStore.store(out, password);
            }
            RemoteEncryptionConfig config = new RemoteEncryptionConfig(
                    true,
                    "Rotated-2026",
                    Optional.empty(),
                    Optional.of(store),
                    type,
                    new Password("changeit"),
                    RemoteEncryptionConfig.DEFAULT_CHUNK_SIZE);
            assertThat(config.loadKeys().ids()).containsExactly("rotated-2026");
            assertThat(config.toString()).doesNotContain("changeit");
            RemoteEncryptionConfig wrongPassword = new RemoteEncryptionConfig(
                    true, "rotated-2026", Optional.empty(), Optional.of(store), type, new Password("nope"), 65536);
            assertThatThrownBy(wrongPassword::loadKeys)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining(RemoteEncryptionConfig.KEYSTORE_LOCATION_CONFIG);
        }
    }

    @Test
    void anActiveKeyThatIsNotConfiguredFailsAtStartup() {
        RemoteEncryptionConfig config = RemoteEncryptionConfig.from(Map.of(
                RemoteEncryptionConfig.ENABLE_CONFIG, "true",
                RemoteEncryptionConfig.ACTIVE_KEY_ID_CONFIG, "k9",
                RemoteEncryptionConfig.KEY_FILE_CONFIG, keyFile.toString()));

        assertThatThrownBy(() -> EncryptedRemoteStorage.wrap(backend, config))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("k9");
        assertThat(EncryptedRemoteStorage.wrap(backend, RemoteEncryptionConfig.from(Map.of())))
                .isSameAs(backend);
    }

    /**
     * The encrypted copy of a segment goes to a directory under the segment's own log dir, not to
     * {@code java.io.tmpdir}, and is removed after the copy; what a process that no longer runs left there is deleted,
     * what a running one writes there is not.
     */
    @Test
    void encryptedCopiesAreWrittenUnderTheSegmentsLogDirAndLeftoversOfStoppedProcessesAreDeleted() throws Exception {
        EncryptedRemoteStorage storage = encrypted(true, "k1", keyFile);
        Path logDir = dir.resolve("log-dir");
        TestSegments.LocalSegment local = TestSegments.localSegment(logDir.resolve("topic-0"), LOG_SIZE, 9, false);
        Path work = logDir.resolve(EncryptedSegmentFiles.WORK_DIR_NAME);
        Process stopped = new ProcessBuilder("true").start();
        stopped.waitFor();
        Path leftover = Files.createDirectories(work.resolve("segment-" + stopped.pid() + "-1"));
        Files.write(leftover.resolve("log"), new byte[100]);
        Path running = Files.createDirectories(
                work.resolve("segment-" + ProcessHandle.current().pid() + "-2"));

        RemoteLogSegmentMetadata started = EncryptedRemoteStorage.withCustomMetadata(
                TestSegments.metadata(0, local.log().length), storage.newSegmentMetadata());
        Path copied;
        try (EncryptedSegmentFiles files = storage.encrypt(
                started, SegmentEnvelope.of(storage.newSegmentMetadata()).orElseThrow(), local.data())) {
            copied = files.data().logSegment();
            assertThat(copied).startsWith(work);
            assertThat(Files.size(copied)).isGreaterThan(LOG_SIZE);
        }
        assertThat(copied.getParent()).doesNotExist();
        assertThat(leftover).doesNotExist();
        assertThat(running).exists();

        copy(storage, local);
        try (Stream<Path> left = Files.list(work)) {
            assertThat(left).containsExactly(running);
        }
    }

    private EncryptedRemoteStorage encrypted(boolean enable, String activeKey, Path keys) {
        return (EncryptedRemoteStorage) EncryptedRemoteStorage.wrap(
                backend,
                RemoteEncryptionConfig.from(Map.of(
                        RemoteEncryptionConfig.ENABLE_CONFIG, String.valueOf(enable),
                        RemoteEncryptionConfig.ACTIVE_KEY_ID_CONFIG, activeKey,
                        RemoteEncryptionConfig.KEY_FILE_CONFIG, keys.toString())));
    }

    /** Copies as the segment copier does: the envelope in the metadata first, then the backend's answer with it. */
    private static RemoteLogSegmentMetadata copy(EncryptedRemoteStorage storage, TestSegments.LocalSegment local)
            throws Exception {
        RemoteLogSegmentMetadata plain = TestSegments.metadata(0, local.log().length);
        RemoteLogSegmentMetadata started =
                EncryptedRemoteStorage.withCustomMetadata(plain, storage.newSegmentMetadata());
        Optional<CustomMetadata> custom = storage.copyLogSegmentData(started, local.data());
        return EncryptedRemoteStorage.withCustomMetadata(
                plain, custom.orElseThrow().value());
    }

    private static void writeKeys(Path file, Object... idsAndSeeds) throws IOException {
        StringBuilder lines = new StringBuilder("# key id = base64 of a 32-byte AES key\n");
        for (int i = 0; i < idsAndSeeds.length; i += 2) {
            byte[] key = TestSegments.randomBytes(32, ((Integer) idsAndSeeds[i + 1]).longValue());
            lines.append(idsAndSeeds[i])
                    .append('=')
                    .append(Base64.getEncoder().encodeToString(key))
                    .append('\n');
        }
        Files.writeString(file, lines);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
