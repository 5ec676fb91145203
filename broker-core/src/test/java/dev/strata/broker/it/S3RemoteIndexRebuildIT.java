package dev.strata.broker.it;

import static dev.strata.broker.it.Tiering.offset;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.it.TieredBucket.SegmentObjects;
import dev.strata.index.PartitionKey;
import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteSegment;
import dev.strata.index.SegmentManifest;
import dev.strata.storage.api.SegmentIndexBundle;
import dev.strata.testing.Await;
import dev.strata.testing.S3ProxyEndpoint;
import dev.strata.tiering.PendingDeletions;
import dev.strata.tiering.RemoteIndexRebuild;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A broker tiering to S3 whose RocksDB remote index is deleted while it is stopped rebuilds the index from the segment
 * manifests in the bucket when it starts: the same segments with the same index entries, every record read back from
 * offset 0 by a consumer group, and tiering goes on with no offset copied twice and none skipped. A manifest corrupted
 * in the bucket is skipped by the rebuild and its segment restored from the metadata quorum's record, and the manifests of a topic deleted meanwhile do not
 * bring the topic back: its deletion, recorded while the store was down, deletes them again. S3Proxy runs in this JVM; the bucket is checked with an independent client
 * ({@link TieredBucket}).
 */
class S3RemoteIndexRebuildIT {

    private static final String BUCKET = "strata-rebuild";
    private static final String KEY_PREFIX = "rebuild-it/";
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final int MIB = 1024 * 1024;
    private static final int SEGMENT_BYTES = MIB;
    private static final int VALUE_BYTES = 4096;
    /** 4 MiB of values per partition: three or four remote segments and the active one. */
    private static final int RECORDS = 1024;
    /** 2 MiB more per partition after the rebuild. */
    private static final int MORE_RECORDS = 512;

    private static final String ORDERS = "orders";
    private static final String AUDIT = "audit";
    private static final List<TopicPartition> PARTITIONS = List.of(
            new TopicPartition(ORDERS, 0),
            new TopicPartition(ORDERS, 1),
            new TopicPartition(ORDERS, 2),
            new TopicPartition(AUDIT, 0));

    private static final long BASE_TIMESTAMP = System.currentTimeMillis() - 3_600_000L;

    @TempDir
    Path dir;

    private S3ProxyEndpoint proxy;
    private TieredBucket bucket;
    private TestBroker broker;
    private final Map<String, Uuid> topicIds = new HashMap<>();

    /** Tiers 4 MiB to the bucket in each of the four partitions of two topics, every sealed segment remote only. */
    @BeforeEach
    void tierTwoTopicsToTheBucket() throws Exception {
        proxy = S3ProxyEndpoint.onDisk(dir.resolve("blobs"));
        bucket = new TieredBucket(proxy.url(), S3ProxyEndpoint.ACCESS_KEY, S3ProxyEndpoint.SECRET_KEY, BUCKET);
        bucket.create();
        broker = TestBroker.withConfig(bucket.fastFailingBrokerSettings(KEY_PREFIX));
        broker.start();

        broker.createTopic(ORDERS, 3, Tiering.tieredTopic(SEGMENT_BYTES));
        broker.createTopic(AUDIT, 1, Tiering.tieredTopic(SEGMENT_BYTES));
        produce(0, RECORDS);
        try (Admin admin = broker.admin()) {
            for (String topic : List.of(ORDERS, AUDIT)) {
                topicIds.put(topic, Tiering.topicId(admin, topic));
            }
        }
        awaitEveryPartitionTiered();
    }

    @AfterEach
    void stopBrokerAndStore() throws Exception {
        try {
            if (broker != null) {
                broker.close();
            }
        } finally {
            if (proxy != null) {
                proxy.close();
            }
        }
    }

    @Test
    void theRebuiltIndexEqualsTheLostOneServesEveryRecordAndTieringGoesOn() throws Exception {
        Map<TopicPartition, Offsets> before = offsets();
        broker.stop();
        Map<TopicPartition, List<SegmentManifest>> lost = remoteIndex();
        for (TopicPartition tp : PARTITIONS) {
            assertThat(lost.get(tp)).as("remote segments of %s", tp).hasSizeGreaterThanOrEqualTo(3);
            assertContiguousFromZero(tp, lost.get(tp), before.get(tp).latestTiered());
        }

        deleteTheRemoteIndex();
        broker.start();
        assertThat(offsets()).as("ListOffsets after the rebuild").isEqualTo(before);
        broker.stop();
        assertThat(remoteIndex())
                .as("the rebuilt index: the same segments, states and index entries")
                .isEqualTo(lost);

        broker.start();
        Map<TopicPartition, Long> fromZero = PARTITIONS.stream().collect(Collectors.toMap(tp -> tp, tp -> 0L));
        readWithAGroup("after-the-rebuild", fromZero, RECORDS);

        produce(RECORDS, MORE_RECORDS);
        awaitEveryPartitionTiered();
        Map<TopicPartition, Offsets> after = offsets();
        broker.stop();
        Map<TopicPartition, List<SegmentManifest>> grown = remoteIndex();
        for (TopicPartition tp : PARTITIONS) {
            List<SegmentManifest> segments = grown.get(tp);
            assertThat(segments.subList(0, lost.get(tp).size()))
                    .as("the rebuilt segments of %s, untouched", tp)
                    .isEqualTo(lost.get(tp));
            assertThat(segments)
                    .as("segments of %s", tp)
                    .hasSizeGreaterThan(lost.get(tp).size());
            assertContiguousFromZero(tp, segments, after.get(tp).latestTiered());
            bucket.assertHoldsExactly(prefix(tp), segments(segments));
        }

        broker.start();
        readWithAGroup("after-more-tiering", fromZero, RECORDS + MORE_RECORDS);
    }

    /**
     * The bucket is not the only record of the remote tier any more: the metadata quorum records every segment with its
     * manifest, so a segment whose manifest in the bucket is corrupt is skipped by the rebuild and restored from the
     * quorum's record before any partition opens, and no history is lost.
     */
    @Test
    void aCorruptManifestIsReportedAndSkippedAndTheQuorumsRecordRestoresItsSegment() throws Exception {
        Map<TopicPartition, Offsets> before = offsets();
        broker.stop();
        Map<TopicPartition, List<SegmentManifest>> lost = remoteIndex();
        TopicPartition damaged = new TopicPartition(ORDERS, 1);
        RemoteSegment first = lost.get(damaged).get(0).segment();
        SegmentObjects firstObjects = bucket.segments(prefix(damaged)).get(0);
        assertThat(firstObjects.segmentId()).isEqualTo(TieredBucket.objectId(first));
        // the manifest is a section of the segment's indexes object: flip a byte in the middle of it
        String manifestKey = firstObjects.keys().get("indexes");
        byte[] manifest = bucket.read(manifestKey);
        SegmentIndexBundle.Range range = SegmentIndexBundle.parse(ByteBuffer.wrap(manifest), manifest.length)
                .range(SegmentIndexBundle.Section.MANIFEST)
                .orElseThrow();
        manifest[range.offset() + range.length() / 2] ^= 0x10;
        bucket.overwriteKeepingMetadata(manifestKey, manifest);

        deleteTheRemoteIndex();
        List<String> warnings;
        try (CapturedWarnings captured = new CapturedWarnings(RemoteIndexStore.class, RemoteIndexRebuild.class)) {
            broker.start();
            warnings = captured.messages();
        }
        assertThat(warnings)
                .as("what the rebuild reported")
                .anyMatch(m -> m.contains("skipping a corrupt manifest"))
                .anyMatch(m -> m.startsWith("1 corrupt manifests were rejected"));

        assertThat(offsets()).isEqualTo(before);
        Map<TopicPartition, Long> fromZero = PARTITIONS.stream().collect(Collectors.toMap(tp -> tp, tp -> 0L));
        readWithAGroup("after-a-corrupt-manifest", fromZero, RECORDS);

        broker.stop();
        assertThat(remoteIndex()).isEqualTo(lost);
        // nothing rewrites the corrupt manifest: only the quorum's record and the index know the segment is intact
        assertThat(bucket.segments(prefix(damaged)).get(0)).isEqualTo(firstObjects);
        assertThat(bucket.read(manifestKey)).isEqualTo(manifest);
        bucket.assertHoldsExactly(prefix(damaged), segments(lost.get(damaged)));
    }

    @Test
    void theManifestsOfATopicDeletedMeanwhileDoNotBringItBack() throws Exception {
        Map<TopicPartition, Offsets> before = offsets();
        TopicPartition audit = new TopicPartition(AUDIT, 0);
        Uuid deletedId = topicIds.get(AUDIT);
        String deletedPrefix = prefix(audit);
        assertThat(bucket.segments(deletedPrefix)).isNotEmpty();
        // the store is down while the topic is deleted: the deletion of its remote data is recorded, to be retried
        proxy.stop();
        try (Admin admin = broker.admin()) {
            admin.deleteTopics(List.of(AUDIT)).all().get();
        }
        // recorded by whichever of the deleting request and the metadata change listener removes the partition first
        Path pending = broker.logDir().resolve(PendingDeletions.FILE_NAME);
        Await.until(TIMEOUT, "the pending deletion to be recorded", () -> {
            try {
                return Files.exists(pending) && Files.readString(pending).contains(deletedId.toString());
            } catch (IOException e) {
                return false;
            }
        });
        proxy.start();

        broker.stop();
        deleteTheRemoteIndex();
        broker.start();

        try (Admin admin = broker.admin()) {
            assertThat(admin.listTopics().names().get()).containsExactly(ORDERS);
            assertThatThrownBy(() ->
                            admin.describeTopics(List.of(AUDIT)).allTopicNames().get())
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(UnknownTopicOrPartitionException.class);
        }
        Map<TopicPartition, Offsets> orders = new HashMap<>(before);
        orders.remove(audit);
        assertThat(offsets(orders.keySet())).isEqualTo(orders);

        // a topic created again under the old name starts empty: nothing of the old one shows through
        broker.createTopic(AUDIT, 1, Tiering.tieredTopic(SEGMENT_BYTES));
        try (Admin admin = broker.admin()) {
            Uuid newId = Tiering.topicId(admin, AUDIT);
            assertThat(newId).isNotEqualTo(deletedId);
            topicIds.put(AUDIT, newId);
            assertThat(offsets(List.of(audit))).containsExactlyEntriesOf(Map.of(audit, new Offsets(0, -1, 0, 0)));
        }
        try (KafkaProducer<String, String> producer = broker.producer()) {
            Tiering.produce(producer, audit, 0, 10, VALUE_BYTES, baseTimestamp(audit) + 1);
        }
        try (KafkaConsumer<String, String> consumer = broker.consumer()) {
            consumer.assign(List.of(audit));
            consumer.seekToBeginning(List.of(audit));
            List<ConsumerRecord<String, String>> records = Await.records(consumer, 10, TIMEOUT);
            assertThat(records).hasSize(10);
            Tiering.assertRecords(records, 0, VALUE_BYTES, baseTimestamp(audit) + 1);
        }

        // The pending deletion outlived the lost index: whatever the rebuild restored of the deleted topic (under its
        // old id, where no partition reads it) is deleted again, and the bucket keeps nothing of it.
        Await.until(TIMEOUT, "the deleted topic's objects to leave the bucket", () -> bucket.keys(deletedPrefix)
                .isEmpty());
        Await.until(TIMEOUT, "the pending deletion to be done", () -> {
            try {
                return !Files.readString(broker.logDir().resolve(PendingDeletions.FILE_NAME))
                        .contains(deletedId.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        broker.stop();
        List<RemoteSegment> restored = index(index -> index.segments(new PartitionKey(uuid(deletedId), 0)));
        assertThat(restored).isEmpty();
    }

    /** The offsets a partition's ListOffsets answers. */
    private record Offsets(long earliest, long latestTiered, long earliestLocal, long latest) {
        Offsets withEarliest(long offset) {
            return new Offsets(offset, latestTiered, earliestLocal, latest);
        }
    }

    private Map<TopicPartition, Offsets> offsets() {
        return offsets(PARTITIONS);
    }

    private Map<TopicPartition, Offsets> offsets(java.util.Collection<TopicPartition> partitions) {
        Map<TopicPartition, Offsets> offsets = new LinkedHashMap<>();
        try (Admin admin = broker.admin()) {
            for (TopicPartition tp : partitions) {
                offsets.put(
                        tp,
                        new Offsets(
                                offset(admin, tp, OffsetSpec.earliest()),
                                offset(admin, tp, OffsetSpec.latestTiered()),
                                offset(admin, tp, OffsetSpec.earliestLocal()),
                                offset(admin, tp, OffsetSpec.latest())));
            }
        }
        return offsets;
    }

    private void produce(long from, int count) {
        try (KafkaProducer<String, String> producer =
                broker.producer(Map.of(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024))) {
            for (TopicPartition tp : PARTITIONS) {
                Tiering.produce(producer, tp, from, count, VALUE_BYTES, baseTimestamp(tp));
            }
        }
    }

    private void awaitEveryPartitionTiered() {
        try (Admin admin = broker.admin()) {
            for (TopicPartition tp : PARTITIONS) {
                Tiering.awaitTiered(admin, broker.logDir(), tp, TIMEOUT);
            }
        }
    }

    /**
     * Reads every partition with a new consumer group, from where its log starts ({@code from}) to offset
     * {@code end}, and checks each record byte for byte.
     */
    private void readWithAGroup(String group, Map<TopicPartition, Long> from, long end) {
        int expected =
                from.values().stream().mapToInt(start -> (int) (end - start)).sum();
        try (KafkaConsumer<String, String> member = broker.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG, group))) {
            member.subscribe(List.of(ORDERS, AUDIT));
            List<ConsumerRecord<String, String>> records = Await.records(member, expected, TIMEOUT);
            assertThat(records).hasSize(expected);
            Map<TopicPartition, List<ConsumerRecord<String, String>>> byPartition =
                    records.stream().collect(Collectors.groupingBy(r -> new TopicPartition(r.topic(), r.partition())));
            assertThat(byPartition).containsOnlyKeys(from.keySet());
            byPartition.forEach((tp, read) -> {
                assertThat(read).as("records of %s", tp).hasSize((int) (end - from.get(tp)));
                Tiering.assertRecords(read, from.get(tp), VALUE_BYTES, baseTimestamp(tp));
            });
        }
    }

    /** Stops nothing: deletes the RocksDB remote index (the default {@code remote.log.index.dir}) of the stopped broker. */
    private void deleteTheRemoteIndex() {
        Path index = broker.logDir().resolve(BrokerConfig.REMOTE_INDEX_DIR_NAME);
        assertThat(index).isDirectory();
        TestBroker.deleteRecursively(index);
    }

    /** Each partition's segments in the remote index of the stopped broker, in offset order, with index entries. */
    private Map<TopicPartition, List<SegmentManifest>> remoteIndex() throws Exception {
        return index(index -> {
            Map<TopicPartition, List<SegmentManifest>> segments = new HashMap<>();
            for (TopicPartition tp : PARTITIONS) {
                List<SegmentManifest> manifests = new ArrayList<>();
                for (RemoteSegment segment : index.segments(key(tp))) {
                    manifests.add(index.manifest(segment.id()).orElseThrow());
                }
                segments.put(tp, manifests);
            }
            return segments;
        });
    }

    private <T> T index(IndexRead<T> read) throws Exception {
        try (RemoteIndexStore index =
                RemoteIndexStore.open(broker.logDir().resolve(BrokerConfig.REMOTE_INDEX_DIR_NAME))) {
            return read.apply(index);
        }
    }

    /** A read of the stopped broker's remote index. */
    private interface IndexRead<T> {
        T apply(RemoteIndexStore index) throws Exception;
    }

    /** Asserts that {@code segments} hold offsets 0 to {@code end}, each once, all finished. */
    private static void assertContiguousFromZero(TopicPartition tp, List<SegmentManifest> segments, long end) {
        long next = 0;
        for (SegmentManifest manifest : segments) {
            RemoteSegment segment = manifest.segment();
            assertThat(segment.startOffset())
                    .as("%s: %s starts where the one before ends, no offset copied twice or skipped", tp, segment)
                    .isEqualTo(next);
            next = segment.endOffset() + 1;
        }
        assertThat(next - 1).as("%s: the last remote offset", tp).isEqualTo(end);
    }

    private static List<RemoteSegment> segments(List<SegmentManifest> manifests) {
        return manifests.stream().map(SegmentManifest::segment).toList();
    }

    private PartitionKey key(TopicPartition tp) {
        return new PartitionKey(uuid(topicIds.get(tp.topic())), tp.partition());
    }

    private String prefix(TopicPartition tp) {
        return TieredBucket.partitionPrefix(KEY_PREFIX, tp.topic(), topicIds.get(tp.topic()), tp.partition());
    }

    private static UUID uuid(Uuid id) {
        return new UUID(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }

    /**
     * Each partition's records are timestamped from a base of their own, so a record served from the wrong partition
     * (whose keys and values are the same at the same offset) fails the comparison.
     */
    private static long baseTimestamp(TopicPartition tp) {
        return BASE_TIMESTAMP - PARTITIONS.indexOf(tp) * 100_000L;
    }

    /** The WARN and ERROR lines the given classes log while open. */
    private static final class CapturedWarnings implements AutoCloseable {
        private final List<Logger> loggers = new ArrayList<>();
        private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

        CapturedWarnings(Class<?>... classes) {
            appender.start();
            for (Class<?> type : classes) {
                Logger logger = (Logger) LoggerFactory.getLogger(type);
                logger.addAppender(appender);
                loggers.add(logger);
            }
        }

        List<String> messages() {
            return appender.list.stream()
                    .filter(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN))
                    .map(ILoggingEvent::getFormattedMessage)
                    .toList();
        }

        @Override
        public void close() {
            loggers.forEach(logger -> logger.detachAppender(appender));
            appender.stop();
        }
    }
}
