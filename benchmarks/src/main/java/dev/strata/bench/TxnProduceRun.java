package dev.strata.bench;

import java.util.Properties;
import java.util.UUID;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * One kafka-clients transactional producer writing a topic in transactions of a fixed number of records until the
 * spec's duration or record count is reached: {@code beginTransaction}, that many {@code send}s, then
 * {@code commitTransaction}. Throughput counts committed records only; the latency is that of
 * {@code commitTransaction}, the call's whole time (it flushes what the producer still holds, then ends the
 * transaction at the coordinator, which writes the commit markers), in microseconds.
 *
 * <p>A broker without a transaction coordinator fails {@code initTransactions}; that becomes a
 * {@link TransactionsUnsupportedException} naming the broker, so the run stops with a readable message.
 */
final class TxnProduceRun {
    private final String bootstrap;
    private final String topic;
    private final WorkloadSpec spec;
    private final int recordsPerTransaction;

    /**
     * @param spec record size, producer settings, duration and record limit ({@code 0}: none); one producer
     * @param recordsPerTransaction records in each transaction
     */
    TxnProduceRun(String bootstrap, String topic, WorkloadSpec spec, int recordsPerTransaction) {
        if (recordsPerTransaction < 1) {
            throw new IllegalArgumentException("records per transaction must be at least 1");
        }
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.spec = spec;
        this.recordsPerTransaction = recordsPerTransaction;
    }

    /**
     * The committed records after one unmeasured transaction, and the commit latency as the result's
     * {@link WorkloadResult#latency()}.
     */
    WorkloadResult run() {
        byte[][] payloads = ProduceRun.payloads(spec.recordSize(), 0);
        Histogram commitMicros = Percentiles.newHistogram();
        long limit = spec.records() == 0 ? Long.MAX_VALUE : spec.records();
        long committed = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config())) {
            initTransactions(producer);
            // one unmeasured transaction: the first send to each partition waits for its metadata, and the first
            // commit pays for the coordinator's first look at this producer's partitions
            sendTransaction(producer, payloads, 0, recordsPerTransaction);
            producer.commitTransaction();
            long start = System.nanoTime();
            long deadline = start + spec.duration().toNanos();
            while (committed < limit && System.nanoTime() < deadline) {
                int n = (int) Math.min(recordsPerTransaction, limit - committed);
                sendTransaction(producer, payloads, committed, n);
                long commitStart = System.nanoTime();
                producer.commitTransaction();
                commitMicros.recordValue((System.nanoTime() - commitStart) / 1000);
                committed += n;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new WorkloadResult(
                    spec, topic, committed, committed * spec.recordSize(), seconds, 0, Percentiles.of(commitMicros));
        }
    }

    /** Begins a transaction and sends {@code n} records into it, the values from record number {@code first} on. */
    private void sendTransaction(KafkaProducer<byte[], byte[]> producer, byte[][] payloads, long first, int n) {
        producer.beginTransaction();
        for (int i = 0; i < n; i++) {
            producer.send(new ProducerRecord<>(topic, payloads[(int) ((first + i) % payloads.length)]));
        }
    }

    private void initTransactions(KafkaProducer<byte[], byte[]> producer) {
        try {
            producer.initTransactions();
        } catch (KafkaException e) {
            throw new TransactionsUnsupportedException(bootstrap, e);
        }
    }

    private Properties config() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "strata-bench-txn-producer");
        p.put(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                "strata-bench-txn-" + UUID.randomUUID().toString().substring(0, 8));
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, spec.compression());
        p.put(ProducerConfig.LINGER_MS_CONFIG, spec.lingerMs());
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, spec.batchSize());
        // initTransactions and commitTransaction block up to this long: a broker that never answers fails the run
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }

    /** The broker refused or never answered {@code initTransactions}: it has no usable transaction coordinator. */
    static final class TransactionsUnsupportedException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        TransactionsUnsupportedException(String bootstrap, KafkaException cause) {
            super(
                    "the broker at " + bootstrap + " does not support transactions: initTransactions failed with "
                            + cause.getClass().getSimpleName() + ": " + cause.getMessage()
                            + " (a transactional producer needs the broker's transaction coordinator)",
                    cause);
        }
    }
}
