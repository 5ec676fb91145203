package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import dev.strata.testing.Ports;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 200 clients replaying a tiered topic from offset 0 at once, each asking for far more than a segment per fetch,
 * against a broker in a JVM of its own with a small heap (exiting on OutOfMemoryError): the bytes read from the remote
 * tier stay within {@code remote.fetch.max.bytes} per request and {@code remote.fetch.max.buffered.bytes} per broker,
 * so the broker stays up, every replayer gets data, and a producer and consumer that behave are still served.
 */
@RunsAlone
class RemoteReplayAbuseIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final String TOPIC = "replayed";
    private static final String CANARY = "canary";
    private static final int MIB = 1024 * 1024;
    private static final int SEGMENT_BYTES = 16 * MIB;
    private static final int VALUE_BYTES = 64 * 1024;
    /** Three sealed segments and a bit. */
    private static final int RECORDS = 3 * SEGMENT_BYTES / VALUE_BYTES + 8;

    private static final int REPLAYERS = 200;
    private static final int FETCHES_PER_REPLAYER = 4;
    /** What each replayer asks for per fetch: a whole segment and more. */
    private static final int ASKED_BYTES = 64 * MIB;

    @TempDir
    static Path dir;

    private static BrokerProcess broker;
    private static int port;

    @BeforeAll
    static void startBrokerAndTierATopic() throws Exception {
        port = Ports.free();
        Path logDir = dir.resolve("data");
        Map<String, String> settings = new HashMap<>();
        settings.put("remote.log.storage.system.enable", "true");
        settings.put("rsm.config.dir", dir.resolve("remote").toString());
        settings.put("remote.log.manager.task.interval.ms", "200");
        settings.put("log.retention.check.interval.ms", "200");
        settings.put("remote.log.chunk.size", Integer.toString(MIB));
        settings.put("remote.log.chunk.cache.memory.bytes", Integer.toString(32 * MIB));
        Path config = BrokerProcess.writeConfig(dir.resolve("server.properties"), port, logDir, settings);
        broker = BrokerProcess.startWithHeap(dir.resolve("broker.out"), "256m", config.toString());
        broker.awaitListening(port, TIMEOUT);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()))) {
            admin.createTopics(List.of(
                            new NewTopic(TOPIC, 1, (short) 1).configs(Tiering.tieredTopic(SEGMENT_BYTES)),
                            new NewTopic(CANARY, 1, (short) 1)))
                    .all()
                    .get();
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                    Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(), ProducerConfig.LINGER_MS_CONFIG, 5),
                    new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                byte[] value = new byte[VALUE_BYTES];
                for (int i = 0; i < RECORDS; i++) {
                    producer.send(new ProducerRecord<>(TOPIC, 0, null, value));
                }
                producer.flush();
            }
            Tiering.awaitTiered(admin, logDir, new TopicPartition(TOPIC, 0), TIMEOUT);
        }
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void twoHundredConcurrentRemoteReplaysStayWithinTheFetchBudgets() throws Exception {
        byte[] fetch = KafkaWire.frame(
                FetchRequest.Builder.forConsumer(
                                (short) 12,
                                500,
                                1,
                                Map.of(
                                        new TopicPartition(TOPIC, 0),
                                        new FetchRequest.PartitionData(
                                                Uuid.ZERO_UUID, 0, 0, ASKED_BYTES, Optional.empty())))
                        .setMaxBytes(ASKED_BYTES)
                        .build((short) 12),
                12,
                "replayer");
        AtomicLong responses = new AtomicLong();
        AtomicLong largest = new AtomicLong();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(REPLAYERS);
        List<Thread> replayers = new ArrayList<>();
        for (int i = 0; i < REPLAYERS; i++) {
            Thread replayer = new Thread(
                    () -> {
                        try (Socket socket = new Socket()) {
                            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                            socket.setSoTimeout((int) TIMEOUT.toMillis());
                            DataInputStream in = new DataInputStream(socket.getInputStream());
                            for (int f = 0; f < FETCHES_PER_REPLAYER; f++) {
                                socket.getOutputStream().write(fetch);
                                int size = in.readInt();
                                in.skipNBytes(size);
                                responses.incrementAndGet();
                                largest.accumulateAndGet(size, Math::max);
                            }
                        } catch (IOException | RuntimeException e) {
                            failures.add(e);
                        } finally {
                            done.countDown();
                        }
                    },
                    "replayer-" + i);
            replayer.setDaemon(true);
            replayer.start();
            replayers.add(replayer);
        }

        Canary.assertServes(broker, bootstrap(), CANARY, "during 200 remote replays", TIMEOUT);
        assertThat(done.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                .as("replayers done")
                .isTrue();
        assertThat(failures)
                .as("replayer failures; broker output:%n%s", broker.outputTail())
                .isEmpty();
        assertThat(responses.get()).isEqualTo((long) REPLAYERS * FETCHES_PER_REPLAYER);
        // remote.fetch.max.bytes (default 8 MiB) bounds each answer, well below the 16 MiB segment it could return
        // (on a loaded machine every answer may be empty: remote reads slower than remote.fetch.max.wait.ms)
        assertThat(largest.get()).isLessThanOrEqualTo(8 * MIB + 64 * 1024);
        Await.until(TIMEOUT, "the broker to stay up", broker::isAlive);
        Canary.assertServes(broker, bootstrap(), CANARY, "after 200 remote replays", TIMEOUT);
    }

    private static String bootstrap() {
        return "127.0.0.1:" + port;
    }
}
