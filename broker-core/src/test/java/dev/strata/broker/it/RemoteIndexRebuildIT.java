package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.index.RemoteSegment;
import dev.strata.index.RemoteSegmentState;
import dev.strata.index.SegmentManifest;
import dev.strata.storage.api.SegmentIndexBundle;
import dev.strata.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Losing the broker's remote index loses no history: a tiered topic whose sealed segments were copied to the remote
 * directory and deleted locally is read back from offset 0, byte for byte, after the broker restarts with its RocksDB
 * index directory deleted, because the index is rebuilt from the segment manifests next to the remote segments. Then
 * tiering carries on where it stopped: new segments are copied once each, without a gap. A remote deletion that was
 * under way when the index was lost is finished after the rebuild, and the log starts after the deleted segment.
 */
class RemoteIndexRebuildIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final int RECORDS = 3_000;
    private static final int MORE_RECORDS = 1_500;
    private static final int VALUE_BYTES = 1_000;
    private static final long BASE_TIMESTAMP = System.currentTimeMillis() - 3_600_000L;
    private static final Path REMOTE_DIR = tempDir();

    @RegisterExtension
    static final TestBroker broker = TestBroker.withConfig(Map.of(
            "remote.log.storage.system.enable", "true",
            "rsm.config.dir", REMOTE_DIR.toString(),
            "remote.log.manager.task.interval.ms", "200",
            "log.retention.check.interval.ms", "200"));

    @AfterAll
    static void deleteRemoteDir() {
        TestBroker.deleteRecursively(REMOTE_DIR);
    }

    @Test
    void aBrokerThatLostItsRemoteIndexServesEveryRecordAgainAndKeepsTiering() throws Exception {
        TopicPartition tp = createTieredTopic("rebuilt");
        produce(tp, 0, RECORDS);
        long tiered = awaitEverySealedSegmentTieredAndDeletedLocally(tp);
        assertThat(manifests(tp)).hasSize((int) remoteLogFiles(tp));

        restartWithoutTheRemoteIndex();

        try (Admin admin = broker.admin()) {
            assertThat(offset(admin, tp, OffsetSpec.earliest())).isZero();
            assertThat(offset(admin, tp, OffsetSpec.latestTiered())).isEqualTo(tiered);
            assertThat(offset(admin, tp, OffsetSpec.earliestLocal())).isEqualTo(tiered + 1);
            assertThat(offset(admin, tp, OffsetSpec.latest())).isEqualTo(RECORDS);
        }
        consumeAndCompare(tp, 0, RECORDS);

        produce(tp, RECORDS, MORE_RECORDS);
        long tieredAfter = awaitEverySealedSegmentTieredAndDeletedLocally(tp);
        assertThat(tieredAfter).isGreaterThan(tiered);
        List<RemoteSegment> segments =
                manifests(tp).values().stream().map(SegmentManifest::segment).toList();
        assertThat(segments).extracting(RemoteSegment::state).containsOnly(RemoteSegmentState.COPY_FINISHED);
        assertThat(segments.get(0).startOffset()).isZero();
        for (int i = 1; i < segments.size(); i++) {
            assertThat(segments.get(i).startOffset())
                    .as("segment %d starts where segment %d ends: no offset copied twice, none skipped", i, i - 1)
                    .isEqualTo(segments.get(i - 1).endOffset() + 1);
        }
        assertThat(segments.get(segments.size() - 1).endOffset()).isEqualTo(tieredAfter);
        assertThat(remoteLogFiles(tp)).as("one remote copy per segment").isEqualTo(segments.size());
        consumeAndCompare(tp, 0, RECORDS + MORE_RECORDS);
    }

    @Test
    void aRemoteDeletionUnderWayWhenTheIndexWasLostIsFinishedAndTheLogStartsAfterIt() throws Exception {
        TopicPartition tp = createTieredTopic("interrupted");
        produce(tp, 0, RECORDS);
        awaitEverySealedSegmentTieredAndDeletedLocally(tp);
        broker.stop();
        // remote retention had marked the oldest segment's manifest DELETE_STARTED when the disk was lost
        Map.Entry<Path, SegmentManifest> oldest =
                manifests(tp).entrySet().iterator().next();
        SegmentManifest finished = oldest.getValue();
        RemoteSegment deleting =
                finished.segment().withState(RemoteSegmentState.DELETE_STARTED, System.currentTimeMillis());
        Files.write(
                oldest.getKey(),
                new SegmentManifest(deleting, finished.offsetEntries(), finished.timeEntries()).toBytes());
        long next = deleting.endOffset() + 1;

        restartWithoutTheRemoteIndex();

        try (Admin admin = broker.admin()) {
            assertThat(offset(admin, tp, OffsetSpec.earliest())).isEqualTo(next);
        }
        consumeAndCompare(tp, next, RECORDS - (int) next);
        Await.until(
                TIMEOUT,
                "the expiry task to delete the segment and then its manifest",
                () -> !manifests(tp).containsKey(oldest.getKey())
                        && remoteLogFiles(tp) == manifests(tp).size());
        assertThat(manifests(tp).values())
                .extracting(manifest -> manifest.segment().startOffset())
                .first()
                .isEqualTo(next);
    }

    private static TopicPartition createTieredTopic(String topic) {
        broker.createTopic(
                topic,
                1,
                Map.of(
                        "remote.storage.enable",
                        "true",
                        TopicConfig.SEGMENT_BYTES_CONFIG,
                        "65536",
                        "local.retention.bytes",
                        "1"));
        return new TopicPartition(topic, 0);
    }

    /** Stops the broker, deletes its RocksDB remote index (the default {@code remote.log.index.dir}) and starts it. */
    private static void restartWithoutTheRemoteIndex() throws Exception {
        broker.stop();
        Path index = broker.logDir().resolve(BrokerConfig.REMOTE_INDEX_DIR_NAME);
        assertThat(index).isDirectory();
        TestBroker.deleteRecursively(index);
        broker.start();
    }

    /** Waits until the local log is down to its active segment and every sealed one is remote; the last tiered offset. */
    private static long awaitEverySealedSegmentTieredAndDeletedLocally(TopicPartition tp) {
        try (Admin admin = broker.admin()) {
            Await.until(
                    TIMEOUT,
                    "the local log to shrink to its active segment, every sealed segment tiered",
                    () -> localLogFiles(tp) == 1
                            && offset(admin, tp, OffsetSpec.earliestLocal()) > 0
                            && offset(admin, tp, OffsetSpec.latestTiered())
                                    == offset(admin, tp, OffsetSpec.earliestLocal()) - 1);
            return offset(admin, tp, OffsetSpec.latestTiered());
        }
    }

    private static void produce(TopicPartition tp, int from, int count) throws Exception {
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.LINGER_MS_CONFIG,
                5);
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = from; i < from + count; i++) {
                producer.send(new ProducerRecord<>(tp.topic(), null, BASE_TIMESTAMP + i, key(i), value(i)));
            }
            producer.flush();
        }
    }

    /** Reads {@code count} records from {@code from} on and compares each with what was produced at its offset. */
    private static void consumeAndCompare(TopicPartition tp, long from, int count) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker.bootstrapServers(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "none");
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, from);
            List<ConsumerRecord<byte[], byte[]>> records = Await.records(consumer, count, TIMEOUT);
            assertThat(records).hasSize(count);
            for (int i = 0; i < count; i++) {
                ConsumerRecord<byte[], byte[]> record = records.get(i);
                int offset = (int) from + i;
                assertThat(record.offset()).isEqualTo(offset);
                assertThat(record.key()).isEqualTo(key(offset));
                assertThat(record.value()).as("value at offset %d", offset).isEqualTo(value(offset));
                assertThat(record.timestamp()).isEqualTo(BASE_TIMESTAMP + offset);
            }
        }
    }

    private static byte[] key(int i) {
        return ByteBuffer.allocate(Integer.BYTES).putInt(i).array();
    }

    /** Pseudo-random bytes, every value different, so a byte served from the wrong place cannot go unnoticed. */
    private static byte[] value(int i) {
        byte[] value = new byte[VALUE_BYTES];
        new Random(i).nextBytes(value);
        return value;
    }

    private static long offset(Admin admin, TopicPartition tp, OffsetSpec spec) {
        try {
            return admin.listOffsets(Map.of(tp, spec)).partitionResult(tp).get().offset();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException e) {
            throw new AssertionError("ListOffsets " + spec + " failed", e.getCause());
        }
    }

    /**
     * The partition's latest manifests in the remote directory, in offset order, each under the path of its
     * {@code .manifest} file (where a deletion stores the one that replaces the manifest in the segment's
     * {@code .indexes} bundle): that file's, or else the bundle's; one deleted meanwhile is left out.
     */
    private static SortedMap<Path, SegmentManifest> manifests(TopicPartition tp) {
        SortedMap<Path, SegmentManifest> manifests = new TreeMap<>();
        for (Path bundle : remoteFiles(tp, ".indexes")) {
            String name = bundle.getFileName().toString();
            Path file = bundle.resolveSibling(name.substring(0, name.length() - ".indexes".length()) + ".manifest");
            try {
                byte[] bytes = Files.readAllBytes(bundle);
                SegmentIndexBundle table = SegmentIndexBundle.parse(ByteBuffer.wrap(bytes), bytes.length);
                ByteBuffer manifest = table.section(bytes, SegmentIndexBundle.Section.MANIFEST)
                        .orElseThrow();
                byte[] copy = new byte[manifest.remaining()];
                manifest.get(copy);
                manifests.put(file, SegmentManifest.fromBytes(copy));
            } catch (NoSuchFileException e) {
                // deleted by the broker since the listing
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        for (Path file : remoteFiles(tp, ".manifest")) {
            try {
                manifests.put(file, SegmentManifest.fromBytes(Files.readAllBytes(file)));
            } catch (NoSuchFileException e) {
                // deleted by the broker since the listing
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return manifests;
    }

    private static long remoteLogFiles(TopicPartition tp) {
        return remoteFiles(tp, ".log").size();
    }

    /**
     * The files of the partition's remote directory ending in {@code suffix}, sorted: by start offset, since their
     * names start with it.
     */
    private static List<Path> remoteFiles(TopicPartition tp, String suffix) {
        try (Stream<Path> dirs = Files.list(REMOTE_DIR)) {
            Path topicDir = dirs.filter(dir -> dir.getFileName().toString().startsWith(tp.topic() + "-"))
                    .findFirst()
                    .orElseThrow();
            try (Stream<Path> files = Files.list(topicDir.resolve(Integer.toString(tp.partition())))) {
                return files.filter(p -> p.getFileName().toString().endsWith(suffix))
                        .sorted()
                        .toList();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The partition's local {@code .log} files, or -1 if they changed while counted. */
    private static long localLogFiles(TopicPartition tp) {
        try (Stream<Path> files = Files.list(broker.logDir().resolve(tp.topic() + "-" + tp.partition()))) {
            return files.filter(p -> p.getFileName().toString().endsWith(".log"))
                    .count();
        } catch (IOException | UncheckedIOException e) {
            return -1;
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("strata-rebuild-it-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
