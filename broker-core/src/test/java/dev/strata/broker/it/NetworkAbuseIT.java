package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import dev.strata.testing.Ports;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that misbehave on purpose must not take a broker down or starve the clients that behave. One broker in a
 * JVM of its own with a small heap (192 MiB, exiting on OutOfMemoryError) is abused by: 1,000 idle connections, 100
 * connections that send half a frame and stop, a client that pipelines fetches of 1 MiB and never reads the answers,
 * and 6 clients each pipelining 8 produce requests close to {@code socket.request.max.bytes}. After each, a
 * producer and a consumer that behave still produce and read back their records, and the broker is alive.
 */
@RunsAlone
class NetworkAbuseIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int MAX_REQUEST_BYTES = 8 * 1024 * 1024;
    private static final String TOPIC = "abuse";
    private static final String CANARY = "canary";

    @TempDir
    static Path dir;

    private static BrokerProcess broker;
    private static int port;
    private static int metricsPort;
    private final List<Socket> sockets = new ArrayList<>();

    @BeforeAll
    static void startBroker() throws Exception {
        port = Ports.free();
        metricsPort = Ports.free();
        Path config = BrokerProcess.writeConfig(
                dir.resolve("server.properties"),
                port,
                dir.resolve("data"),
                Map.of(
                        "socket.request.max.bytes",
                        Integer.toString(MAX_REQUEST_BYTES),
                        "connections.max.idle.ms",
                        "4000",
                        "socket.partial.request.timeout.ms",
                        "2000",
                        "metrics.prometheus.listener",
                        "127.0.0.1:" + metricsPort));
        broker = BrokerProcess.startWithHeap(dir.resolve("broker.out"), "192m", config.toString());
        broker.awaitListening(port, TIMEOUT);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()))) {
            admin.createTopics(List.of(
                            new NewTopic(TOPIC, 1, (short) 1)
                                    .configs(Map.of("max.message.bytes", Integer.toString(MAX_REQUEST_BYTES))),
                            new NewTopic(CANARY, 1, (short) 1)))
                    .all()
                    .get();
        }
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @AfterEach
    void closeSockets() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
        sockets.clear();
    }

    @Test
    void aThousandIdleConnectionsAreClosedAfterTheIdleTimeoutAndCostNoService() throws Exception {
        for (int i = 0; i < 1_000; i++) {
            sockets.add(connect());
        }
        assertTheBrokerServes("with 1,000 idle connections open");
        Await.until(TIMEOUT, "the idle connections to be closed (connections.max.idle.ms)", () -> sockets.stream()
                .allMatch(NetworkAbuseIT::closedByBroker));
    }

    @Test
    void connectionsHoldingHalfAFrameAreClosedAndCostNoService() throws Exception {
        for (int i = 0; i < 100; i++) {
            Socket socket = connect();
            OutputStream out = socket.getOutputStream();
            out.write(
                    ByteBuffer.allocate(14).putInt(100_000).putShort((short) 3).array());
            out.flush();
            sockets.add(socket);
        }
        assertTheBrokerServes("with 100 connections holding half a frame");
        Await.until(
                TIMEOUT,
                "the half-frame connections to be closed (socket.partial.request.timeout.ms)",
                () -> sockets.stream().allMatch(NetworkAbuseIT::closedByBroker));
    }

    @Test
    void aClientThatNeverReadsItsResponsesIsHeldBackNotBuffered() throws Exception {
        byte[] value = new byte[1024 * 1024];
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap(),
                        ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                        MAX_REQUEST_BYTES),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < 8; i++) {
                producer.send(new ProducerRecord<>(TOPIC, 0, null, value)).get();
            }
        }
        // 2,000 fetches of up to 8 MiB each, pipelined, none of the answers read: 16 GB if the broker buffered them
        Socket socket = connect();
        sockets.add(socket);
        socket.setReceiveBufferSize(4096);
        OutputStream out = socket.getOutputStream();
        FetchRequest.Builder fetch = FetchRequest.Builder.forConsumer(
                        (short) 12,
                        0,
                        1,
                        Map.of(
                                new TopicPartition(TOPIC, 0),
                                new FetchRequest.PartitionData(
                                        org.apache.kafka.common.Uuid.ZERO_UUID,
                                        0,
                                        0,
                                        MAX_REQUEST_BYTES,
                                        java.util.Optional.empty())))
                .setMaxBytes(MAX_REQUEST_BYTES);
        byte[] frame = frame(fetch.build((short) 12), 12);
        Thread writer = new Thread(() -> {
            try {
                for (int i = 0; i < 2_000; i++) {
                    out.write(frame);
                }
            } catch (IOException e) {
                // the broker stopped reading long ago and the test closed the socket
            }
        });
        writer.setDaemon(true);
        writer.start();
        assertTheBrokerServes("while a client pipelines fetches and reads none of the answers");
        socket.close();
        writer.join(TIMEOUT.toMillis());
    }

    @Test
    void clientsPipeliningRequestsAtTheSizeLimitAreAllServedWithinTheRequestBudget() throws Exception {
        byte[] value = new byte[MAX_REQUEST_BYTES - 64 * 1024];
        List<KafkaProducer<byte[], byte[]>> producers = new ArrayList<>();
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        try {
            // 6 clients with 8 requests of 8 MiB in flight each: 384 MiB against a 192 MiB heap, if read at once
            for (int i = 0; i < 6; i++) {
                Map<String, Object> props = new HashMap<>();
                props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
                props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_REQUEST_BYTES);
                props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 10L * MAX_REQUEST_BYTES);
                props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
                props.put(ProducerConfig.ACKS_CONFIG, "1");
                props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 8);
                props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
                props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 60_000);
                KafkaProducer<byte[], byte[]> producer =
                        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
                producers.add(producer);
            }
            for (int round = 0; round < 8; round++) {
                for (KafkaProducer<byte[], byte[]> producer : producers) {
                    sends.add(producer.send(new ProducerRecord<>(TOPIC, 0, null, value)));
                }
            }
            assertTheBrokerServes("while 6 clients pipeline requests at the size limit");
            for (Future<RecordMetadata> send : sends) {
                assertThat(send.get().offset()).isNotNegative();
            }
        } finally {
            producers.forEach(KafkaProducer::close);
        }
    }

    private static String bootstrap() {
        return "127.0.0.1:" + port;
    }

    private static Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        return socket;
    }

    /** Whether the broker has closed this connection (end of stream or reset); false while it is open. */
    private static boolean closedByBroker(Socket socket) {
        try {
            socket.setSoTimeout(1);
            InputStream in = socket.getInputStream();
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static byte[] frame(org.apache.kafka.common.requests.AbstractRequest request, int version) {
        return KafkaWire.frame(request, version, "never-reads");
    }

    /** A producer and a consumer that behave still get through, and the broker process is alive. */
    private static void assertTheBrokerServes(String when) throws Exception {
        Canary.assertServes(broker, bootstrap(), CANARY, when, TIMEOUT);
    }
}
