package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.bench.S3RequestCounter.Kind;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** What {@link LatencyProxy} forwards and what its {@link S3RequestCounter} counts: bytes and requests, never time. */
class LatencyProxyTest {

    @Test
    void everyByteArrivesIntactBothWaysWithLatencyAndACap() throws Exception {
        byte[] sent = new byte[3 * 1024 * 1024 + 17];
        new Random(14).nextBytes(sent);
        try (ServerSocket echo = new ServerSocket()) {
            echo.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            CompletableFuture<Void> server = CompletableFuture.runAsync(() -> echoOnce(echo));
            try (LatencyProxy proxy = LatencyProxy.start(ChildProcess.HOST, echo.getLocalPort())
                            .shape(2, 500);
                    Socket client = new Socket(ChildProcess.HOST, proxy.port())) {
                CompletableFuture<byte[]> received =
                        CompletableFuture.supplyAsync(() -> readExactly(client, sent.length));
                OutputStream out = client.getOutputStream();
                for (int i = 0; i < sent.length; i += 10_000) {
                    out.write(sent, i, Math.min(10_000, sent.length - i));
                }
                out.flush();

                assertThat(received.get()).isEqualTo(sent);
                assertThat(proxy.bytesToStore()).isEqualTo(sent.length);
                assertThat(proxy.bytesFromStore()).isEqualTo(sent.length);
                assertThat(proxy.latencyMs()).isEqualTo(2);
                assertThat(proxy.streamMegabytesPerSecond()).isEqualTo(500);
            }
            server.get();
        }
    }

    @Test
    void requestsAreClassifiedAsS3PricesThem() {
        assertThat(S3RequestCounter.classify("PUT", "/bucket/a/b.log")).isEqualTo(Kind.PUT);
        assertThat(S3RequestCounter.classify("PUT", "/bucket/a/b.log?partNumber=2&uploadId=xyz"))
                .isEqualTo(Kind.UPLOAD_PART);
        assertThat(S3RequestCounter.classify("POST", "/bucket/a/b.log?uploads")).isEqualTo(Kind.CREATE_MULTIPART);
        assertThat(S3RequestCounter.classify("POST", "/bucket/a/b.log?uploadId=xyz"))
                .isEqualTo(Kind.COMPLETE_MULTIPART);
        assertThat(S3RequestCounter.classify("POST", "/bucket?delete")).isEqualTo(Kind.DELETE_OBJECTS);
        assertThat(S3RequestCounter.classify("GET", "/bucket/a/b.log")).isEqualTo(Kind.GET);
        assertThat(S3RequestCounter.classify("GET", "/bucket?list-type=2&prefix=a%2F"))
                .isEqualTo(Kind.LIST);
        assertThat(S3RequestCounter.classify("GET", "/bucket/")).isEqualTo(Kind.LIST);
        assertThat(S3RequestCounter.classify("HEAD", "/bucket/a/b.log")).isEqualTo(Kind.HEAD);
        assertThat(S3RequestCounter.classify("DELETE", "/bucket/a/b.log")).isEqualTo(Kind.DELETE);
    }

    @Test
    void bodiesAreSkippedWhateverTheyHoldAndHoweverTheBytesAreSplit() {
        // a PUT whose body looks like a request, a chunked POST, and a GET after them
        String body = "\r\n\r\nGET /bucket/fake HTTP/1.1\r\n\r\n";
        String stream = "PUT /bucket/k HTTP/1.1\r\nHost: s\r\nContent-Length: " + body.length() + "\r\n\r\n" + body
                + "POST /bucket/k?uploadId=1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;ext=1\r\nGET /\r\n3\r\n\r\n\r\r\n0\r\nTrailer: x\r\n\r\n"
                + "GET /bucket/k HTTP/1.1\r\nRange: bytes=0-9\r\n\r\n";
        byte[] bytes = stream.getBytes(StandardCharsets.ISO_8859_1);
        for (int piece : new int[] {1, 3, 7, bytes.length}) {
            S3RequestCounter counter = new S3RequestCounter();
            S3RequestCounter.Parser parser = counter.newConnection();
            for (int i = 0; i < bytes.length; i += piece) {
                parser.accept(bytes, i, Math.min(piece, bytes.length - i));
            }

            S3RequestCounter.Counts counts = counter.snapshot();
            assertThat(counts.of(Kind.PUT)).as("in pieces of %d", piece).isEqualTo(1);
            assertThat(counts.of(Kind.COMPLETE_MULTIPART))
                    .as("in pieces of %d", piece)
                    .isEqualTo(1);
            assertThat(counts.of(Kind.GET)).as("in pieces of %d", piece).isEqualTo(1);
            assertThat(counts.putPriced()).isEqualTo(2);
            assertThat(counts.getPriced()).isEqualTo(1);
        }
    }

    @Test
    void theGetPricedRequestsAfterAMarkAreKeptWithTheirRanges() {
        S3RequestCounter counter = new S3RequestCounter();
        S3RequestCounter.Parser parser = counter.newConnection();
        feed(parser, "GET /bucket/a.log HTTP/1.1\r\nRange: bytes=0-9\r\n\r\n");
        long mark = counter.getPricedSequence();
        feed(parser, "PUT /bucket/b.log HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        feed(parser, "GET /bucket/b.log HTTP/1.1\r\nrange: bytes=100-199\r\n\r\n");
        feed(parser, "HEAD /bucket/c.log HTTP/1.1\r\n\r\n");

        List<S3RequestCounter.Seen> since = counter.getPricedSince(mark);
        assertThat(since)
                .extracting(r -> r.method() + " " + r.target() + " " + r.range())
                .containsExactly("GET /bucket/b.log bytes=100-199", "HEAD /bucket/c.log ");
        assertThat(since.get(0).describe(since.get(0).nanos())).isEqualTo("GET /bucket/b.log bytes=100-199 at 0.0 ms");
        assertThat(counter.getPricedSince(counter.getPricedSequence())).isEmpty();
    }

    private static void feed(S3RequestCounter.Parser parser, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        parser.accept(bytes, 0, bytes.length);
    }

    @Test
    void aStreamThatIsNotHttpStopsCountingWithoutFailingTheConnection() {
        S3RequestCounter counter = new S3RequestCounter();
        S3RequestCounter.Parser parser = counter.newConnection();
        byte[] bytes = "PUT /b/k HTTP/1.1\r\nContent-Length: many\r\n\r\nGET /b/k HTTP/1.1\r\n\r\n"
                .getBytes(StandardCharsets.ISO_8859_1);

        parser.accept(bytes, 0, bytes.length);

        assertThat(counter.snapshot().of(Kind.GET)).isZero();
    }

    private static void echoOnce(ServerSocket server) {
        try (Socket s = server.accept();
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream()) {
            in.transferTo(out);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] readExactly(Socket socket, int length) {
        try {
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream read = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            while (read.size() < length) {
                int n = in.read(buffer, 0, Math.min(buffer.length, length - read.size()));
                if (n < 0) {
                    break;
                }
                read.write(buffer, 0, n);
            }
            return read.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
