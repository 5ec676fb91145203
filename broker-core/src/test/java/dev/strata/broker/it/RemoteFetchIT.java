package dev.strata.broker.it;

import static dev.strata.broker.it.Tiering.offset;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.StrataServer;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.testing.Await;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fetches that read from the remote tier, with raw Fetch requests against one broker whose filesystem backend can be
 * made to hang ({@link GatedRemoteStorageManager}): a remote read not done within {@code remote.fetch.max.wait.ms}
 * leaves its partition without records and without an error while the rest of the response is answered, and the read
 * still lands in the chunk cache for the next fetch; {@code max.bytes} and the per-partition limits hold across
 * several remote partitions of one request; a bad {@code remote.fetch.max.wait.ms} stops the broker from starting.
 */
class RemoteFetchIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final short FETCH_VERSION = 12; // the last version that names topics
    private static final int VALUE_BYTES = 1_000;
    private static final Path REMOTE_DIR = Tiering.tempDir();
    private static final int REMOTE_FETCH_MAX_BYTES = 60_000;

    @RegisterExtension
    static final TestBroker broker = TestBroker.withConfig(Map.of(
            "remote.log.storage.system.enable", "true",
            "remote.log.storage.manager.class.name", GatedRemoteStorageManager.class.getName(),
            "rsm.config.dir", REMOTE_DIR.toString(),
            "remote.log.manager.task.interval.ms", "200",
            "log.retention.check.interval.ms", "200",
            "remote.fetch.max.wait.ms", "200",
            "remote.fetch.max.bytes", Integer.toString(REMOTE_FETCH_MAX_BYTES),
            "remote.log.chunk.size", "65536",
            "remote.log.chunk.read.ahead.max.in.flight", "0"));

    @TempDir
    Path dir;

    @AfterAll
    static void deleteRemoteDir() {
        GatedRemoteStorageManager.openGate();
        TestBroker.deleteRecursively(REMOTE_DIR);
    }

    @Test
    void aRemoteReadNotDoneInTimeLeavesItsPartitionEmptyWithoutErrorAndStillFillsTheCache() throws Exception {
        TopicPartition remote = new TopicPartition("slow-remote", 0);
        TopicPartition local = new TopicPartition("local-only", 0);
        broker.createTopic(remote.topic(), 1, tieredConfigs());
        broker.createTopic(local.topic(), 1, Map.of());
        produce(Map.of(remote, 300, local, 10), Map.of());
        awaitAllSealedSegmentsTiered(List.of(remote));

        Map<TopicPartition, PartitionData> answer;
        GatedRemoteStorageManager.closeGate();
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
            offsets.put(remote, 0L);
            offsets.put(local, 0L);
            answer = fetch(wire, 1_000_000, offsets, 100_000);
        } finally {
            GatedRemoteStorageManager.openGate();
        }

        assertThat(answer.get(remote).errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(FetchResponse.recordsOrFail(answer.get(remote)).sizeInBytes())
                .isZero();
        assertThat(answer.get(remote).highWatermark()).isEqualTo(300);
        assertThat(answer.get(local).errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(FetchResponse.recordsOrFail(answer.get(local)).sizeInBytes()).isPositive();

        AtomicReference<PartitionData> later = new AtomicReference<>();
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            Await.until(TIMEOUT, "the remote read to complete into the chunk cache", () -> {
                later.set(fetch(wire, 1_000_000, Map.of(remote, 0L), 1_000_000).get(remote));
                return FetchResponse.recordsOrFail(later.get()).sizeInBytes() > 0;
            });
        }
        RecordBatch first =
                FetchResponse.recordsOrFail(later.get()).batches().iterator().next();
        assertThat(first.baseOffset()).isZero();
    }

    @Test
    void maxBytesAndPartitionLimitsHoldAcrossSeveralRemotePartitions() throws Exception {
        Map<TopicPartition, Long> offsets = tieredPartitions("wide-remote", 120);
        int maxBytes = 30_000;
        int partitionMaxBytes = 12_000;

        awaitRecordsFromEveryPartition(
                offsets, maxBytes, partitionMaxBytes, partitionMaxBytes, "the partition's max bytes", maxBytes);
    }

    @Test
    void partitionsThatMayEachTakeTheWholeRemoteBudgetShareItAndAreAllRead() throws Exception {
        Map<TopicPartition, Long> offsets = tieredPartitions("catching-up", 150);
        // a catching-up consumer: each partition may take more than remote.fetch.max.bytes, and more than the
        // request's max bytes leaves for the others
        int partitionMaxBytes = 8 << 20;
        int maxBytes = 100_000;
        int share = REMOTE_FETCH_MAX_BYTES / 3;

        awaitRecordsFromEveryPartition(
                offsets,
                maxBytes,
                partitionMaxBytes,
                share,
                "an equal share of remote.fetch.max.bytes",
                REMOTE_FETCH_MAX_BYTES);
    }

    /**
     * A tiered topic of 3 partitions, {@code records} records each in small batches (so that several fit each limit),
     * all sealed segments tiered; returns offset 0 of each partition.
     */
    private static Map<TopicPartition, Long> tieredPartitions(String topic, int records) {
        broker.createTopic(topic, 3, tieredConfigs());
        Map<TopicPartition, Integer> counts = new LinkedHashMap<>();
        Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
        for (int p = 0; p < 3; p++) {
            counts.put(new TopicPartition(topic, p), records);
            offsets.put(new TopicPartition(topic, p), 0L);
        }
        produce(counts, Map.of(ProducerConfig.BATCH_SIZE_CONFIG, 4096));
        awaitAllSealedSegmentsTiered(List.copyOf(counts.keySet()));
        return offsets;
    }

    /**
     * Fetches until one response holds records of every partition; every response has no error, at most
     * {@code sizeLimit} bytes per partition and at most {@code totalLimit} in all.
     */
    private static void awaitRecordsFromEveryPartition(
            Map<TopicPartition, Long> offsets,
            int maxBytes,
            int partitionMaxBytes,
            int sizeLimit,
            String sizeLimitName,
            int totalLimit)
            throws Exception {
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            Await.until(TIMEOUT, "one response with records from every remote partition", () -> {
                Map<TopicPartition, PartitionData> answer = fetch(wire, maxBytes, offsets, partitionMaxBytes);
                int total = 0;
                boolean allHaveRecords = true;
                for (PartitionData partition : answer.values()) {
                    assertThat(partition.errorCode()).isEqualTo(Errors.NONE.code());
                    int size = FetchResponse.recordsOrFail(partition).sizeInBytes();
                    assertThat(size).as(sizeLimitName).isLessThanOrEqualTo(sizeLimit);
                    total += size;
                    allHaveRecords &= size > 0;
                }
                assertThat(total).isLessThanOrEqualTo(totalLimit);
                return allHaveRecords;
            });
        }
    }

    @Test
    void anInvalidRemoteFetchMaxWaitStopsTheBrokerFromStartingAndNamesTheSetting() {
        Map<String, String> config = new LinkedHashMap<>(broker.config());
        config.put(BrokerConfig.LOG_DIRS, dir.toString());
        config.put(BrokerConfig.LISTENERS, "PLAINTEXT://127.0.0.1:0");
        config.put("remote.fetch.max.wait.ms", "0");

        assertThatThrownBy(() -> StrataServer.start(BrokerConfig.of(config)).close())
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid value 0 for configuration remote.fetch.max.wait.ms: Value must be at least 1");
    }

    private static Map<String, String> tieredConfigs() {
        return Map.of(
                TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "true",
                TopicConfig.SEGMENT_BYTES_CONFIG, "16384",
                TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG, "1");
    }

    private static void produce(Map<TopicPartition, Integer> counts, Map<String, Object> producerConfigs) {
        try (KafkaProducer<String, String> producer = broker.producer(producerConfigs)) {
            counts.forEach((tp, count) -> {
                for (int i = 0; i < count; i++) {
                    producer.send(new ProducerRecord<>(
                            tp.topic(), tp.partition(), "key-" + i, Tiering.value(i, VALUE_BYTES)));
                }
            });
            producer.flush();
        }
    }

    private static void awaitAllSealedSegmentsTiered(List<TopicPartition> partitions) {
        try (Admin admin = broker.admin()) {
            for (TopicPartition tp : partitions) {
                Await.until(
                        TIMEOUT,
                        "every sealed segment of " + tp + " in the remote tier and deleted locally",
                        () -> Tiering.localLogFiles(broker.logDir(), tp) == 1
                                && offset(admin, tp, OffsetSpec.latestTiered())
                                        == offset(admin, tp, OffsetSpec.earliestLocal()) - 1);
            }
        }
    }

    /** One Fetch from {@code offsets} (no waiting for data) and the answer per partition. */
    private static Map<TopicPartition, PartitionData> fetch(
            KafkaWire wire, int maxBytes, Map<TopicPartition, Long> offsets, int partitionMaxBytes) {
        Map<TopicPartition, FetchRequest.PartitionData> data = new LinkedHashMap<>();
        offsets.forEach((tp, offset) -> data.put(
                tp, new FetchRequest.PartitionData(Uuid.ZERO_UUID, offset, -1L, partitionMaxBytes, Optional.empty())));
        FetchRequest.Builder request =
                FetchRequest.Builder.forConsumer(FETCH_VERSION, 0, 1, data).setMaxBytes(maxBytes);
        try {
            FetchResponse response = (FetchResponse) wire.send(request, FETCH_VERSION);
            assertThat(response.error()).isEqualTo(Errors.NONE);
            return response.responseData(Map.of(), FETCH_VERSION);
        } catch (IOException e) {
            throw new AssertionError("Fetch failed", e);
        }
    }
}
