package dev.strata.remote.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** Settings: defaults, the Aiven-compatible names and prefix, readable errors naming the key, hidden secrets. */
class S3StorageConfigTest {

    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static final String KEY_ID = "AKIAIOSFODNN7EXAMPLE";

    @Test
    void onlyTheBucketIsRequiredAndDefaultsApply() {
        S3StorageConfig config = S3StorageConfig.parse(Map.of("s3.bucket.name", "tiered"));

        assertThat(config.bucketName()).isEqualTo("tiered");
        assertThat(config.region()).isEqualTo("us-east-1");
        assertThat(config.endpointUrl()).isEmpty();
        assertThat(config.pathStyleAccessEnabled()).isFalse();
        assertThat(config.staticCredentials()).isFalse();
        assertThat(config.keyPrefix()).isEmpty();
        assertThat(config.multipartUploadPartSize()).isEqualTo(25 * 1024 * 1024);
        assertThat(config.retryMaxAttempts()).isEqualTo(5);
        assertThat(config.apiCallTimeout()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void readsEveryKeyAndIgnoresKeysItDoesNotKnow() {
        S3StorageConfig config = S3StorageConfig.parse(Map.ofEntries(
                Map.entry("s3.bucket.name", "tiered"),
                Map.entry("s3.region", "eu-west-3"),
                Map.entry("s3.endpoint.url", "http://127.0.0.1:9000"),
                Map.entry("s3.path.style.access.enabled", "true"),
                Map.entry("aws.access.key.id", KEY_ID),
                Map.entry("aws.secret.access.key", SECRET),
                Map.entry("key.prefix", "prod/"),
                Map.entry("s3.multipart.upload.part.size", String.valueOf(8 * 1024 * 1024)),
                Map.entry("s3.api.call.timeout.ms", "30000"),
                Map.entry("s3.api.call.attempt.timeout.ms", "5000"),
                Map.entry("s3.retry.max.attempts", "3"),
                Map.entry("s3.retry.backoff.base.ms", "20"),
                Map.entry("s3.retry.backoff.max.ms", "2000"),
                Map.entry("broker.id", 3),
                Map.entry("log.dir", "/tmp/kafka-logs")));

        assertThat(config.region()).isEqualTo("eu-west-3");
        assertThat(config.endpointUrl()).contains(URI.create("http://127.0.0.1:9000"));
        assertThat(config.pathStyleAccessEnabled()).isTrue();
        assertThat(config.staticCredentials()).isTrue();
        assertThat(config.accessKeyId().orElseThrow().value()).isEqualTo(KEY_ID);
        assertThat(config.secretAccessKey().orElseThrow().value()).isEqualTo(SECRET);
        assertThat(config.keyPrefix()).isEqualTo("prod/");
        assertThat(config.multipartUploadPartSize()).isEqualTo(8 * 1024 * 1024);
        assertThat(config.apiCallTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.apiCallAttemptTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.retryMaxAttempts()).isEqualTo(3);
        assertThat(config.retryBackoffBase()).isEqualTo(Duration.ofMillis(20));
        assertThat(config.retryBackoffMax()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void acceptsTheAivenPluginsStoragePrefix() {
        S3StorageConfig config = S3StorageConfig.parse(Map.of(
                "storage.s3.bucket.name", "tiered",
                "storage.s3.region", "ap-south-1",
                "storage.aws.access.key.id", KEY_ID,
                "storage.aws.secret.access.key", SECRET,
                "s3.bucket.name", "tiered"));

        assertThat(config.bucketName()).isEqualTo("tiered");
        assertThat(config.region()).isEqualTo("ap-south-1");
        assertThat(config.staticCredentials()).isTrue();
    }

    @Test
    void bothSpellingsWithDifferentValuesIsAnErrorThatDoesNotEchoValues() {
        assertThatThrownBy(() -> S3StorageConfig.parse(Map.of(
                        "s3.bucket.name",
                        "tiered",
                        "aws.access.key.id",
                        KEY_ID,
                        "aws.secret.access.key",
                        SECRET,
                        "storage.aws.secret.access.key",
                        SECRET + "x")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("aws.secret.access.key")
                .hasMessageContaining("storage.aws.secret.access.key")
                .message()
                .doesNotContain(SECRET);
    }

    @Test
    void missingBucketNamesTheKey() {
        assertThatThrownBy(() -> S3StorageConfig.parse(Map.of("s3.region", "us-east-1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("s3.bucket.name");
    }

    @Test
    void blankBucketNamesTheKey() {
        assertThatThrownBy(() -> S3StorageConfig.parse(Map.of("s3.bucket.name", " ")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("s3.bucket.name");
    }

    @Test
    void partSizeBelowFiveMibNamesTheKey() {
        assertThatThrownBy(() -> S3StorageConfig.parse(
                        Map.of("s3.bucket.name", "b", "s3.multipart.upload.part.size", "1048576")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("s3.multipart.upload.part.size")
                .hasMessageContaining("5242880");
    }

    @Test
    void malformedNumbersAndBooleansNameTheKey() {
        assertThatThrownBy(() ->
                        S3StorageConfig.parse(Map.of("s3.bucket.name", "b", "s3.multipart.upload.part.size", "big")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("s3.multipart.upload.part.size");
        assertThatThrownBy(() -> S3StorageConfig.parse(
                        Map.of("s3.bucket.name", "b", "s3.path.style.access.enabled", "sometimes")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("s3.path.style.access.enabled");
        assertThatThrownBy(() -> S3StorageConfig.parse(Map.of("s3.bucket.name", "b", "s3.retry.max.attempts", "0")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("s3.retry.max.attempts");
    }

    @Test
    void endpointMustBeAnHttpUrl() {
        for (String bad : new String[] {"127.0.0.1:9000", "ftp://host/", "http://", "http://bad host/"}) {
            assertThatThrownBy(() -> S3StorageConfig.parse(Map.of("s3.bucket.name", "b", "s3.endpoint.url", bad)))
                    .as(bad)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("s3.endpoint.url");
        }
    }

    @Test
    void halfAKeyPairNamesTheMissingHalf() {
        assertThatThrownBy(() -> S3StorageConfig.parse(Map.of("s3.bucket.name", "b", "aws.access.key.id", KEY_ID)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("aws.secret.access.key");
        assertThatThrownBy(() -> S3StorageConfig.parse(Map.of("s3.bucket.name", "b", "aws.secret.access.key", SECRET)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("aws.access.key.id")
                .message()
                .doesNotContain(SECRET);
    }

    @Test
    void backoffMaxBelowBaseIsAnError() {
        assertThatThrownBy(() -> S3StorageConfig.parse(Map.of(
                        "s3.bucket.name", "b", "s3.retry.backoff.base.ms", "500", "s3.retry.backoff.max.ms", "100")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("s3.retry.backoff.max.ms");
    }

    @Test
    void credentialsNeverAppearInToString() {
        Map<String, Object> configs = new HashMap<>(
                Map.of("s3.bucket.name", "tiered", "aws.access.key.id", KEY_ID, "aws.secret.access.key", SECRET));

        String text = S3StorageConfig.parse(configs).toString();

        assertThat(text)
                .contains("tiered")
                .contains("static")
                .doesNotContain(KEY_ID)
                .doesNotContain(SECRET);
    }
}
