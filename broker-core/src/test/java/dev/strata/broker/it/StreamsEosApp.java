package dev.strata.broker.it;

import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The Kafka Streams application of {@link StreamsExactlyOnceIT}, run in a JVM of its own so the test can {@code kill -9}
 * it: it counts input records per key, where an input record's value names its key.
 *
 * <p>Topology: read the input topic, pause {@code delay} ms per record (so a test can stop it part way), re-key each
 * record by its value (a repartition through {@code <application id>-by-key-repartition}), count per key in the
 * persistent (RocksDB) state store {@code counts} (changelog {@code <application id>-counts-changelog}), and write
 * every new count to the output topic as key to decimal count. Record caching is off, so each input record yields
 * exactly one output record: for a key with N input records, one clean run writes the counts 1, 2, ..., N in that
 * order, and with {@code exactly_once_v2} so does any run that is killed and restarted on the way.
 *
 * <p>Arguments: bootstrap servers, application id, input topic, output topic, {@code processing.guarantee}, delay per
 * record in milliseconds, state directory. One stream thread; static group membership ({@code group.instance.id}),
 * so an instance restarted after {@code kill -9} takes over its predecessor's tasks without waiting for its session
 * to expire; a restart on the same state directory keeps the process id and so the transactional ids, which fences
 * the killed instance's producers and aborts their open transactions at once. SIGTERM closes the application cleanly.
 */
public final class StreamsEosApp {

    static final String STORE = "counts";
    static final String REPARTITION = "by-key";

    private StreamsEosApp() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 7) {
            System.err.println("usage: StreamsEosApp <bootstrap> <application id> <input topic> <output topic>"
                    + " <processing.guarantee> <delay ms per record> <state dir>");
            System.exit(2);
        }
        String applicationId = args[1];
        Properties props = new Properties();
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, args[4]);
        props.put(StreamsConfig.STATE_DIR_CONFIG, args[6]);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), applicationId + "-instance");
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);

        KafkaStreams streams = new KafkaStreams(topology(args[2], args[3], Long.parseLong(args[5])), props);
        // a thread that dies of a broker restart is replaced, as an operator would configure a long-running app
        streams.setUncaughtExceptionHandler(e -> {
            System.out.println(Instant.now() + " stream thread died, replacing it: " + e);
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener(
                (now, before) -> System.out.println(Instant.now() + " state " + before + " -> " + now));
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close(Duration.ofSeconds(20));
            closed.countDown();
        }));
        streams.start();
        closed.await();
    }

    static Topology topology(String input, String output, long delayMs) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
                .peek((key, value) -> LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(delayMs)))
                .selectKey((key, value) -> value)
                .groupByKey(Grouped.with(REPARTITION, Serdes.String(), Serdes.String()))
                .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as(STORE)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(Serdes.Long()))
                .toStream()
                .mapValues(count -> Long.toString(count))
                .to(output, Produced.with(Serdes.String(), Serdes.String()));
        return builder.build();
    }
}
