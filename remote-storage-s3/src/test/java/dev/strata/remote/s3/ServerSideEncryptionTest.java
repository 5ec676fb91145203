package dev.strata.remote.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code s3.sse.algorithm} and {@code s3.sse.kms.key.id} reach S3 as the SSE headers of every PUT and multipart upload
 * the backend sends. S3Proxy ignores them, so the test looks at what the SDK puts on the wire: an execution interceptor
 * records each signed request and stops it before it leaves the JVM.
 */
class ServerSideEncryptionTest {

    private static final String SSE = "x-amz-server-side-encryption";
    private static final String KMS_KEY = "x-amz-server-side-encryption-aws-kms-key-id";

    @TempDir
    Path dir;

    private final List<SdkHttpRequest> sent = new CopyOnWriteArrayList<>();

    @Test
    void sseS3IsAskedForOnEveryPut() throws Exception {
        S3Uploads uploads = uploads(Map.of("s3.sse.algorithm", "AES256"));

        assertThatThrownBy(() -> uploads.bytes("a/b.indexes", ByteBuffer.wrap(new byte[] {1, 2, 3})))
                .isInstanceOf(Stopped.class);

        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).method().name()).isEqualTo("PUT");
        assertThat(sent.get(0).firstMatchingHeader(SSE)).contains("AES256");
        assertThat(sent.get(0).firstMatchingHeader(KMS_KEY)).isEmpty();
    }

    @Test
    void sseKmsWithAKeyIdIsAskedForOnPutsAndMultipartUploads() throws Exception {
        S3Uploads uploads = uploads(Map.of(
                "s3.sse.algorithm", "aws:kms",
                "s3.sse.kms.key.id", "alias/strata-tier",
                "s3.multipart.upload.part.size", String.valueOf(S3StorageConfig.MIN_PART_SIZE)));
        Path small = Files.write(dir.resolve("small"), new byte[10]);
        Path large = Files.write(dir.resolve("large"), new byte[S3StorageConfig.MIN_PART_SIZE + 1]);

        assertThatThrownBy(() -> uploads.file("a/small.log", small)).isInstanceOf(Stopped.class);
        assertThatThrownBy(() -> uploads.file("a/large.log", large)).isInstanceOf(Stopped.class);

        SdkHttpRequest put = sent.get(0);
        assertThat(put.method().name()).isEqualTo("PUT");
        assertThat(put.firstMatchingHeader(SSE)).contains("aws:kms");
        assertThat(put.firstMatchingHeader(KMS_KEY)).contains("alias/strata-tier");
        SdkHttpRequest create = sent.get(1);
        assertThat(create.method().name()).isEqualTo("POST");
        assertThat(create.rawQueryParameters()).containsKey("uploads");
        assertThat(create.firstMatchingHeader(SSE)).contains("aws:kms");
        assertThat(create.firstMatchingHeader(KMS_KEY)).contains("alias/strata-tier");
    }

    @Test
    void withoutSettingsNoSseHeaderIsSent() throws Exception {
        S3Uploads uploads = uploads(Map.of());

        assertThatThrownBy(() -> uploads.bytes("a/b.indexes", ByteBuffer.wrap(new byte[] {1})))
                .isInstanceOf(Stopped.class);

        assertThat(sent.get(0).firstMatchingHeader(SSE)).isEmpty();
        assertThat(sent.get(0).firstMatchingHeader(KMS_KEY)).isEmpty();
    }

    @Test
    void aKmsKeyWithoutKmsIsRejected() {
        assertThatThrownBy(() -> S3StorageConfig.parse(
                        Map.of("s3.bucket.name", "tiered", "s3.sse.algorithm", "AES256", "s3.sse.kms.key.id", "k")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("s3.sse.kms.key.id");
        assertThatThrownBy(() -> S3StorageConfig.parse(Map.of("s3.bucket.name", "tiered", "s3.sse.algorithm", "DES")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("s3.sse.algorithm");
    }

    private S3Uploads uploads(Map<String, String> settings) {
        Map<String, String> all = new java.util.HashMap<>(settings);
        all.put("s3.bucket.name", "tiered");
        S3StorageConfig config = S3StorageConfig.parse(all);
        S3Client client = S3Client.builder()
                .region(Region.US_EAST_1)
                .endpointOverride(URI.create("http://127.0.0.1:9"))
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("id", "secret")))
                .overrideConfiguration(o -> o.addExecutionInterceptor(new Recorder()))
                .build();
        return new S3Uploads(client, config);
    }

    /** Records each request as it would be transmitted, and stops it there. */
    private final class Recorder implements ExecutionInterceptor {
        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            sent.add(context.httpRequest());
            throw new Stopped();
        }
    }

    private static final class Stopped extends RuntimeException {
        Stopped() {
            super("stopped before transmission", null, false, false);
        }
    }
}
