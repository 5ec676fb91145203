package dev.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The remote log manager copies through encryption and the reader reads back through the chunk cache: every offset
 * reads back, the backend's files hold no record, and a read is a ranged fetch of whole encrypted chunks.
 */
class EncryptedRemoteReadTest {

    private static final int ENCRYPTION_CHUNK = 1024;

    @TempDir
    Path tmp;

    private final TopicIdPartition tip = new TopicIdPartition(Uuid.randomUuid(), 0, "secrets");
    private RemoteReadFixture remote;
    private long records;

    @BeforeEach
    void tierThreeEncryptedSegments() throws IOException {
        Path keys = Files.writeString(
                tmp.resolve("keys.properties"),
                "k1=" + Base64.getEncoder().encodeToString(TestSegments.randomBytes(32, 1)) + "\n");
        remote = new RemoteReadFixture(
                tmp,
                RemoteEncryptionConfig.from(Map.of(
                        RemoteEncryptionConfig.ENABLE_CONFIG,
                        "true",
                        RemoteEncryptionConfig.ACTIVE_KEY_ID_CONFIG,
                        "k1",
                        RemoteEncryptionConfig.KEY_FILE_CONFIG,
                        keys.toString(),
                        RemoteEncryptionConfig.CHUNK_SIZE_CONFIG,
                        Integer.toString(ENCRYPTION_CHUNK))));
        FakeTieredPartition partition = new FakeTieredPartition(tip, tmp.resolve("log"));
        for (int i = 0; i < 3; i++) {
            partition.appendSegment(30, RemoteReadFixture.START_MS);
        }
        records = 3 * 30 * FakeTieredPartition.RECORDS_PER_BATCH;
        remote.tier(partition, records);
    }

    @AfterEach
    void tearDown() throws Exception {
        remote.close();
    }

    @Test
    void everyOffsetReadsBackThroughTheChunkCache() throws Exception {
        for (long offset = 0; offset < records; offset += 3) {
            ByteBuffer bytes = remote.reader().readRecords(tip, offset, 300).get(10, TimeUnit.SECONDS);
            Record record = recordAt(bytes, offset);
            assertThat(Utils.toArray(record.value()))
                    .as("offset %d", offset)
                    .isEqualTo(FakeTieredPartition.value(offset));
        }
    }

    @Test
    void theBackendHoldsNoRecordValue() throws IOException {
        byte[] value = FakeTieredPartition.value(77);
        try (Stream<Path> files = Files.walk(remote.remoteRoot())) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String stored = new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1);
                assertThat(stored)
                        .as(file.toString())
                        .doesNotContain(new String(value, java.nio.charset.StandardCharsets.ISO_8859_1));
            }
        }
        assertThat(remote.index().segments(KafkaSegmentMetadata.key(tip)))
                .allSatisfy(s -> assertThat(SegmentEnvelope.of(s.customMetadata()))
                        .hasValueSatisfying(e -> assertThat(e.keyId()).isEqualTo("k1")));
    }

    @Test
    void aReadInTheMiddleOfASegmentFetchesOnlyWholeEncryptedChunksAroundIt() throws Exception {
        long middle = 30 * FakeTieredPartition.RECORDS_PER_BATCH + 71;
        remote.reader().readRecords(tip, middle, 200).get(10, TimeUnit.SECONDS);

        List<String> logFetches = remote.storage().fetches().stream()
                .filter(f -> f.startsWith("log "))
                .toList();
        assertThat(logFetches).isNotEmpty();
        int sealedChunk = ENCRYPTION_CHUNK + ChunkedCipher.TAG_BYTES;
        for (String fetch : logFetches) {
            String[] range = fetch.substring(4).split("-");
            long start = Long.parseLong(range[0]);
            long end = Long.parseLong(range[1]);
            assertThat(start % sealedChunk).as(fetch).isZero();
            assertThat(end - start + 1).as(fetch).isLessThanOrEqualTo(2L * sealedChunk);
        }
    }

    @Test
    void withoutItsKeyAChunkLoadFailsWithAStorageErrorNamingTheKey() throws Exception {
        Path onlyK2 = Files.writeString(
                tmp.resolve("k2.properties"),
                "k2=" + Base64.getEncoder().encodeToString(TestSegments.randomBytes(32, 2)) + "\n");
        RemoteStorageManager withoutK1 = EncryptedRemoteStorage.wrap(
                remote.storage(),
                RemoteEncryptionConfig.from(Map.of(RemoteEncryptionConfig.KEY_FILE_CONFIG, onlyK2.toString())));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ChunkCache cache = new ChunkCache(
                new ChunkCacheConfig(4096, 16 * 1024, Optional.empty(), 0, Duration.ofSeconds(10), 0),
                withoutK1,
                pool,
                pool)) {
            RemoteLogSegmentMetadata segment = remote.manager()
                    .metadataFor(remote.manager().segmentFor(tip, 10).orElseThrow());

            assertThatThrownBy(() -> cache.read(segment, 0, 100).get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(KafkaStorageException.class)
                    .hasMessageContaining("'k1'");
        } finally {
            pool.shutdownNow();
        }
    }

    private static Record recordAt(ByteBuffer bytes, long offset) {
        for (RecordBatch batch :
                MemoryRecords.readableRecords(bytes.duplicate()).batches()) {
            for (Record record : batch) {
                if (record.offset() == offset) {
                    return record;
                }
            }
        }
        throw new AssertionError("offset " + offset + " not in the bytes read");
    }
}
