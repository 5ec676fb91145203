package dev.strata.remote.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * What the backend's client puts on the wire for a PUT (over plain HTTP, as to S3Proxy or MinIO without TLS): the
 * object's bytes as they are, with its length, its SHA-256 as the signed payload hash and its CRC32C in a header; not
 * the SDK's default {@code aws-chunked} coding, which signs every 128 KiB chunk, sends the checksum as a trailer and
 * copies each chunk into a new array on its way out (half of the broker's allocation during an upload, and a young
 * collection every 2 s of it). A one-request HTTP server on a loopback port records the request and answers 200.
 */
class PutWireFormatTest {

    @TempDir
    Path dir;

    @Test
    void aLogIsSentAsItIsWithItsLengthItsSha256AndItsCrc32cInTheHead() throws Exception {
        byte[] log = new byte[300_000];
        new Random(7).nextBytes(log);
        Path file = Files.write(dir.resolve("00000000000000000000.log"), log);

        Request put = sendOne(uploads -> uploads.file("topic/0/00000000000000000000.log", file));

        assertThat(put.line()).startsWith("PUT /tiered/topic/0/00000000000000000000.log ");
        assertThat(put.headers()).doesNotContainKey("content-encoding").doesNotContainKey("x-amz-trailer");
        assertThat(put.headers()).containsEntry("content-length", String.valueOf(log.length));
        assertThat(put.headers()).containsEntry("x-amz-content-sha256", sha256Hex(log));
        assertThat(put.headers()).containsKey("x-amz-checksum-crc32c");
        assertThat(put.body()).isEqualTo(log);
    }

    @Test
    void aBundleOfBytesIsSentTheSameWay() throws Exception {
        byte[] bundle = "indexes and a manifest".getBytes(StandardCharsets.UTF_8);

        Request put =
                sendOne(uploads -> uploads.bytes("topic/0/00000000000000000000.indexes", ByteBuffer.wrap(bundle)));

        assertThat(put.headers()).doesNotContainKey("content-encoding");
        assertThat(put.headers()).containsEntry("content-length", String.valueOf(bundle.length));
        assertThat(put.headers()).containsEntry("x-amz-content-sha256", sha256Hex(bundle));
        assertThat(put.body()).isEqualTo(bundle);
    }

    private interface Upload {
        void to(S3Uploads uploads) throws IOException;
    }

    /** A request as received: its request line, its headers (names in lower case) and its body. */
    private record Request(String line, Map<String, String> headers, byte[] body) {}

    /** Runs {@code upload} through a client of {@link S3ClientFactory} against a server that takes one request. */
    private static Request sendOne(Upload upload) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Request> received = CompletableFuture.supplyAsync(() -> answerOne(server));
            Map<String, String> settings = new HashMap<>();
            settings.put(S3StorageConfig.BUCKET_NAME, "tiered");
            settings.put(S3StorageConfig.ENDPOINT_URL, "http://127.0.0.1:" + server.getLocalPort());
            settings.put(S3StorageConfig.PATH_STYLE_ACCESS_ENABLED, "true");
            settings.put(S3StorageConfig.ACCESS_KEY_ID, "id");
            settings.put(S3StorageConfig.SECRET_ACCESS_KEY, "secret");
            settings.put(S3StorageConfig.RETRY_MAX_ATTEMPTS, "1");
            S3StorageConfig config = S3StorageConfig.parse(settings);
            try (S3Client client = S3ClientFactory.create(config)) {
                upload.to(new S3Uploads(client, config));
            }
            return received.get();
        }
    }

    private static Request answerOne(ServerSocket server) {
        try (Socket socket = server.accept()) {
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("the request ended in its head: " + head);
                }
                head.write(b);
            }
            String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            Map<String, String> headers = new HashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(
                        lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
            // the whole content-length: a chunked body would be longer than the object and fail the assertions
            byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
            OutputStream out = socket.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\nETag: \"e\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return new Request(lines[0], headers, body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha256Hex(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
