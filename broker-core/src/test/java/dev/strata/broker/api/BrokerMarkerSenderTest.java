package dev.strata.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.cluster.ClusterBroker;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The sender against fake brokers on loopback sockets that answer every marker with NONE. */
class BrokerMarkerSenderTest {

    private static final TopicPartition TP = new TopicPartition("t", 0);
    private static final int BROKER = 2;

    private final FakeBroker first = new FakeBroker();
    private final FakeBroker second = new FakeBroker();
    private final AtomicInteger brokerPort = new AtomicInteger(first.port());
    private final BrokerMarkerSender sender = new BrokerMarkerSender(
            1,
            id -> id == BROKER
                    ? Optional.of(new ClusterBroker(id, "127.0.0.1", brokerPort.get(), Optional.empty(), false))
                    : Optional.empty(),
            BrokerConnector.plaintext(5_000),
            30_000);

    @AfterEach
    void stop() throws IOException {
        sender.close();
        first.close();
        second.close();
    }

    @Test
    void markersQueuedWhileARequestIsInFlightGoOutTogetherOnePerProducer() throws Exception {
        first.holdAnswers();
        CompletableFuture<Map<TopicPartition, Errors>> one = send(BROKER, 10);
        first.awaitRequests(1);
        CompletableFuture<Map<TopicPartition, Errors>> two = send(BROKER, 11);
        CompletableFuture<Map<TopicPartition, Errors>> three = send(BROKER, 12);
        CompletableFuture<Map<TopicPartition, Errors>> sameProducer = send(BROKER, 11);

        first.releaseAnswers();

        for (CompletableFuture<Map<TopicPartition, Errors>> f : List.of(one, two, three, sameProducer)) {
            assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo(Map.of(TP, Errors.NONE));
        }
        assertThat(first.producersByRequest).containsExactly(List.of(10L), List.of(11L, 12L), List.of(11L));
    }

    @Test
    void aDroppedConnectionIsRetriableAndTheNextRequestReconnectsWhereTheBrokerIsNow() throws Exception {
        assertThat(send(BROKER, 10).get(10, TimeUnit.SECONDS)).isEqualTo(Map.of(TP, Errors.NONE));

        // the broker restarts elsewhere: the connection the sender holds is dead
        first.close();
        brokerPort.set(second.port());

        assertThat(send(BROKER, 11).get(10, TimeUnit.SECONDS)).isEqualTo(Map.of(TP, Errors.NETWORK_EXCEPTION));
        assertThat(send(BROKER, 11).get(10, TimeUnit.SECONDS)).isEqualTo(Map.of(TP, Errors.NONE));
        assertThat(second.producersByRequest).containsExactly(List.of(11L));
    }

    @Test
    void anUnregisteredBrokerIsRetriable() throws Exception {
        assertThat(send(7, 10).get(10, TimeUnit.SECONDS)).isEqualTo(Map.of(TP, Errors.NETWORK_EXCEPTION));
    }

    private CompletableFuture<Map<TopicPartition, Errors>> send(int broker, long producerId) {
        return sender.send(broker, producerId, (short) 0, true, 0, Set.of(TP));
    }

    /** Answers WriteTxnMarkers with NONE for every partition, one connection at a time; records each request. */
    private static final class FakeBroker implements AutoCloseable {
        private final ServerSocket server;
        private final List<List<Long>> producersByRequest = new CopyOnWriteArrayList<>();
        private final List<Socket> connections = new CopyOnWriteArrayList<>();
        private volatile CountDownLatch answers = new CountDownLatch(0);

        FakeBroker() {
            try {
                server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            Thread acceptor = new Thread(this::serve, "fake-broker-" + server.getLocalPort());
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        void holdAnswers() {
            answers = new CountDownLatch(1);
        }

        void releaseAnswers() {
            answers.countDown();
        }

        void awaitRequests(int count) {
            dev.strata.testing.Await.until(
                    java.time.Duration.ofSeconds(10), count + " requests", () -> producersByRequest.size() >= count);
        }

        private void serve() {
            try {
                while (true) {
                    Socket socket = server.accept();
                    connections.add(socket);
                    answer(socket);
                }
            } catch (IOException e) {
                // closed
            }
        }

        private void answer(Socket socket) {
            try (socket) {
                DataInputStream in = new DataInputStream(socket.getInputStream());
                OutputStream out = socket.getOutputStream();
                while (true) {
                    byte[] frame = new byte[in.readInt()];
                    in.readFully(frame);
                    ByteBuffer buffer = ByteBuffer.wrap(frame);
                    RequestHeader header = RequestHeader.parse(buffer);
                    WriteTxnMarkersRequest request = (WriteTxnMarkersRequest) AbstractRequest.parseRequest(
                                    header.apiKey(), header.apiVersion(), new ByteBufferAccessor(buffer))
                            .request;
                    producersByRequest.add(request.data().markers().stream()
                            .map(WritableTxnMarker::producerId)
                            .toList());
                    answers.await();
                    ResponseHeader responseHeader = header.toResponseHeader();
                    ByteBuffer response = RequestUtils.serialize(
                            responseHeader.data(),
                            responseHeader.headerVersion(),
                            allNone(request),
                            header.apiVersion());
                    out.write(
                            ByteBuffer.allocate(4).putInt(response.remaining()).array());
                    out.write(response.array(), response.arrayOffset() + response.position(), response.remaining());
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // the client or the test closed the connection
            }
        }

        private static WriteTxnMarkersResponseData allNone(WriteTxnMarkersRequest request) {
            WriteTxnMarkersResponseData data = new WriteTxnMarkersResponseData();
            for (WritableTxnMarker marker : request.data().markers()) {
                WritableTxnMarkerResult result = new WritableTxnMarkerResult().setProducerId(marker.producerId());
                marker.topics().forEach(t -> result.topics()
                        .add(new WritableTxnMarkerTopicResult()
                                .setName(t.name())
                                .setPartitions(t.partitionIndexes().stream()
                                        .map(p -> new WritableTxnMarkerPartitionResult().setPartitionIndex(p))
                                        .toList())));
                data.markers().add(result);
            }
            return data;
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket socket : connections) {
                socket.close();
            }
        }
    }
}
