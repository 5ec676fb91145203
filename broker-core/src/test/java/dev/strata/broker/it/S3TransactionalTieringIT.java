package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.index.PartitionKey;
import dev.strata.index.RemoteAbortedTxn;
import dev.strata.index.RemoteIndexStore;
import dev.strata.storage.api.SegmentIndexBundle;
import dev.strata.testing.S3ProxyEndpoint;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceRequestData.PartitionProduceData;
import org.apache.kafka.common.message.ProduceRequestData.TopicProduceData;
import org.apache.kafka.common.message.ProduceRequestData.TopicProduceDataCollection;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transactional data with commits and aborts, tiered to S3 and deleted locally, reads back from offset 0 with a {@code
 * read_committed} kafka-clients consumer as exactly the committed records, in order: the aborted transactions of
 * remote segments reach the consumer from the remote index, and those whose marker is still local from the local log.
 * The same after the remote index is lost and rebuilt from the bucket's manifests.
 *
 * <p>Two producers interleave their transactions, so an aborted transaction encloses committed records of the other
 * producer, and transactions cross segment boundaries, so a transaction starts in one segment and is aborted in the
 * next. Until the transaction coordinator exists the transactions are written as the coordinator would have them
 * written: transactional batches of an idempotent producer id, then WriteTxnMarkers, over the raw protocol.
 */
class S3TransactionalTieringIT {

    private static final String BUCKET = "strata-transactions";
    private static final String KEY_PREFIX = "txn-it/";
    private static final String TOPIC = "payments";
    private static final TopicPartition TP = new TopicPartition(TOPIC, 0);
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final int SEGMENT_BYTES = 1024 * 1024;
    private static final int VALUE_BYTES = 1024;
    /** Each round writes 4 batches of this many records, 2 per producer, then ends both transactions. */
    private static final int RECORDS_PER_BATCH = 8;
    /** About 4 MiB: three or four remote segments, and transactions across their boundaries. */
    private static final int ROUNDS = 128;

    @TempDir
    Path dir;

    private S3ProxyEndpoint proxy;
    private TieredBucket bucket;
    private TestBroker broker;

    @BeforeEach
    void startBrokerOnS3() throws Exception {
        proxy = S3ProxyEndpoint.onDisk(dir.resolve("blobs"));
        bucket = new TieredBucket(proxy.url(), S3ProxyEndpoint.ACCESS_KEY, S3ProxyEndpoint.SECRET_KEY, BUCKET);
        bucket.create();
        broker = TestBroker.withConfig(bucket.fastFailingBrokerSettings(KEY_PREFIX));
        broker.start();
        broker.createTopic(TOPIC, 1, Tiering.tieredTopic(SEGMENT_BYTES));
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
    void readCommittedFromTheRemoteTierSeesExactlyTheCommittedRecordsAlsoAfterARebuild() throws Exception {
        List<String> committed = writeTransactions();
        Uuid topicId;
        try (Admin admin = broker.admin()) {
            Tiering.awaitTiered(admin, broker.logDir(), TP, TIMEOUT);
            topicId = Tiering.topicId(admin, TOPIC);
        }
        String prefix = TieredBucket.partitionPrefix(KEY_PREFIX, TOPIC, topicId, 0);
        assertThat(bucket.segments(prefix))
                .as("remote segments with aborted transactions have their transaction index in the bucket, a section of"
                        + " the segment's indexes object")
                .anyMatch(segment ->
                        hasTransactionIndex(bucket.read(segment.keys().get("indexes"))));

        assertThat(readCommittedFromZero("before-the-rebuild")).isEqualTo(committed);

        broker.stop();
        List<RemoteAbortedTxn> remoteAborted = remoteAbortedTxns(topicId);
        assertThat(remoteAborted).as("aborted transactions in the remote index").hasSizeGreaterThan(10);
        TestBroker.deleteRecursively(broker.logDir().resolve(BrokerConfig.REMOTE_INDEX_DIR_NAME));
        broker.start();
        assertThat(readCommittedFromZero("after-the-rebuild")).isEqualTo(committed);

        broker.stop();
        assertThat(remoteAbortedTxns(topicId))
                .as("the rebuilt index's aborted transactions")
                .isEqualTo(remoteAborted);
    }

    /**
     * Writes {@link #ROUNDS} rounds of two interleaved transactions and ends them, aborting some of each producer's.
     *
     * @return the values of the committed records, in offset order
     */
    private List<String> writeTransactions() throws Exception {
        List<String> committed = new ArrayList<>();
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            Producer a = new Producer("a", initProducerId(wire));
            Producer b = new Producer("b", initProducerId(wire));
            for (int round = 0; round < ROUNDS; round++) {
                List<String> written = new ArrayList<>();
                written.addAll(a.send(wire, round));
                written.addAll(b.send(wire, round));
                written.addAll(a.send(wire, round));
                written.addAll(b.send(wire, round));
                boolean commitA = round % 3 != 1;
                boolean commitB = round % 4 != 2;
                a.end(wire, commitA);
                b.end(wire, commitB);
                for (String value : written) {
                    if (value.startsWith("a") ? commitA : commitB) {
                        committed.add(value);
                    }
                }
            }
        }
        return committed;
    }

    /** Reads the partition from offset 0 to its end with a {@code read_committed} consumer; the values read. */
    private List<String> readCommittedFromZero(String group) {
        long end;
        try (Admin admin = broker.admin()) {
            end = Tiering.offset(admin, TP, OffsetSpec.latest());
        }
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = broker.consumer(Map.of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.GROUP_ID_CONFIG, group))) {
            consumer.assign(List.of(TP));
            consumer.seekToBeginning(List.of(TP));
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (consumer.position(TP) < end) {
                assertThat(System.nanoTime() - deadline)
                        .as("read up to %d within %s, at %d", end, TIMEOUT, consumer.position(TP))
                        .isNegative();
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value().substring(0, record.value().indexOf(' ')));
                }
            }
        }
        return values;
    }

    private List<RemoteAbortedTxn> remoteAbortedTxns(Uuid topicId) throws Exception {
        try (RemoteIndexStore index =
                RemoteIndexStore.open(broker.logDir().resolve(BrokerConfig.REMOTE_INDEX_DIR_NAME))) {
            PartitionKey key =
                    new PartitionKey(new UUID(topicId.getMostSignificantBits(), topicId.getLeastSignificantBits()), 0);
            return index.abortedTxns(key, 0, Long.MAX_VALUE).aborted();
        }
    }

    private static InitProducerIdResponse initProducerId(KafkaWire wire) throws Exception {
        InitProducerIdResponse response = (InitProducerIdResponse) wire.send(
                new InitProducerIdRequest.Builder(new InitProducerIdRequestData()
                        .setTransactionalId(null)
                        .setTransactionTimeoutMs(60_000)
                        .setProducerId(-1)
                        .setProducerEpoch((short) -1)),
                wire.negotiatedVersion(ApiKeys.INIT_PRODUCER_ID));
        assertThat(Errors.forCode(response.data().errorCode())).isEqualTo(Errors.NONE);
        return response;
    }

    /** One producer id writing transactional batches to the partition, as a transactional producer would. */
    private static final class Producer {
        private final String name;
        private final long producerId;
        private final short epoch;
        private int sequence;
        private int record;

        Producer(String name, InitProducerIdResponse init) {
            this.name = name;
            this.producerId = init.data().producerId();
            this.epoch = init.data().producerEpoch();
        }

        /** Appends one transactional batch; the values written, in order. */
        List<String> send(KafkaWire wire, int round) throws Exception {
            List<String> values = new ArrayList<>();
            SimpleRecord[] records = new SimpleRecord[RECORDS_PER_BATCH];
            for (int i = 0; i < RECORDS_PER_BATCH; i++) {
                String value = name + "-" + round + "-" + record++;
                values.add(value);
                String padded = value + " " + "x".repeat(VALUE_BYTES);
                records[i] = new SimpleRecord(
                        value.getBytes(StandardCharsets.UTF_8), padded.getBytes(StandardCharsets.UTF_8));
            }
            MemoryRecords batch =
                    MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, epoch, sequence, records);
            sequence += RECORDS_PER_BATCH;
            ProduceRequestData data = new ProduceRequestData()
                    .setAcks((short) -1)
                    .setTimeoutMs(30_000)
                    .setTopicData(new TopicProduceDataCollection(List.of(new TopicProduceData()
                                    .setName(TOPIC)
                                    .setPartitionData(List.of(new PartitionProduceData()
                                            .setIndex(0)
                                            .setRecords(batch))))
                            .iterator()));
            // v12 is the last version that names topics (v13 names them by id)
            short version = (short) Math.min(12, wire.negotiatedVersion(ApiKeys.PRODUCE));
            ProduceResponse response = (ProduceResponse) wire.send(ProduceRequest.builder(data), version);
            response.data().responses().forEach(topic -> topic.partitionResponses()
                    .forEach(p -> assertThat(Errors.forCode(p.errorCode()))
                            .as("produce of %s", values.get(0))
                            .isEqualTo(Errors.NONE)));
            return values;
        }

        /** Commits or aborts the open transaction with a marker, as the coordinator would. */
        void end(KafkaWire wire, boolean commit) throws Exception {
            WriteTxnMarkersRequestData data = new WriteTxnMarkersRequestData()
                    .setMarkers(List.of(new WritableTxnMarker()
                            .setProducerId(producerId)
                            .setProducerEpoch(epoch)
                            .setTransactionResult(commit)
                            .setCoordinatorEpoch(0)
                            .setTopics(List.of(
                                    new WritableTxnMarkerTopic().setName(TOPIC).setPartitionIndexes(List.of(0))))));
            WriteTxnMarkersResponse response = (WriteTxnMarkersResponse) wire.send(
                    new WriteTxnMarkersRequest.Builder(data), wire.negotiatedVersion(ApiKeys.WRITE_TXN_MARKERS));
            response.data().markers().forEach(m -> m.topics()
                    .forEach(t -> t.partitions().forEach(p -> assertThat(Errors.forCode(p.errorCode()))
                            .as("marker of %s", name)
                            .isEqualTo(Errors.NONE))));
        }
    }

    private static boolean hasTransactionIndex(byte[] bundle) {
        return SegmentIndexBundle.parse(ByteBuffer.wrap(bundle), bundle.length)
                .range(SegmentIndexBundle.Section.TRANSACTION_INDEX)
                .isPresent();
    }
}
