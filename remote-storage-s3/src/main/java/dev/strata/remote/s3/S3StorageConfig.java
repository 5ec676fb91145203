package dev.strata.remote.s3;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Settings of {@link S3RemoteStorageManager}, as the broker passes them to {@code configure} after stripping the
 * {@code rsm.config.} prefix.
 *
 * <p>The names are those of the Aiven tiered-storage plugin's S3 storage, so its users can switch without renaming
 * anything; each key is also accepted with the Aiven plugin's {@code storage.} prefix
 * ({@code storage.s3.bucket.name}). Giving both spellings of one key with different values is an error rather than a
 * silent choice. Keys this class does not know (the broker passes other settings too) are ignored.
 *
 * <p>Both halves of a static key pair are {@link Password}s: neither appears in {@link #toString()} nor in any log
 * line. Without them the AWS SDK's default credential chain applies (environment, system properties, profile, web
 * identity, container and instance roles).
 */
public final class S3StorageConfig {

    /** Prefix the Aiven plugin puts in front of its storage keys; accepted as an alias. */
    public static final String AIVEN_STORAGE_PREFIX = "storage.";

    public static final String BUCKET_NAME = "s3.bucket.name";
    public static final String REGION = "s3.region";
    public static final String ENDPOINT_URL = "s3.endpoint.url";
    public static final String PATH_STYLE_ACCESS_ENABLED = "s3.path.style.access.enabled";
    public static final String ACCESS_KEY_ID = "aws.access.key.id";
    public static final String SECRET_ACCESS_KEY = "aws.secret.access.key";
    public static final String KEY_PREFIX = "key.prefix";
    public static final String MULTIPART_UPLOAD_PART_SIZE = "s3.multipart.upload.part.size";
    public static final String API_CALL_TIMEOUT_MS = "s3.api.call.timeout.ms";
    public static final String API_CALL_ATTEMPT_TIMEOUT_MS = "s3.api.call.attempt.timeout.ms";
    public static final String RETRY_MAX_ATTEMPTS = "s3.retry.max.attempts";
    public static final String RETRY_BACKOFF_BASE_MS = "s3.retry.backoff.base.ms";
    public static final String RETRY_BACKOFF_MAX_MS = "s3.retry.backoff.max.ms";
    public static final String SSE_ALGORITHM = "s3.sse.algorithm";
    public static final String SSE_KMS_KEY_ID = "s3.sse.kms.key.id";

    /** S3's smallest allowed part (except the last one). */
    public static final int MIN_PART_SIZE = 5 * 1024 * 1024;

    public static final int DEFAULT_PART_SIZE = 25 * 1024 * 1024;

    private static final ConfigDef DEFINITION = new ConfigDef()
            .define(
                    BUCKET_NAME,
                    Type.STRING,
                    ConfigDef.NO_DEFAULT_VALUE,
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "Bucket that holds the remote segments.")
            .define(
                    REGION,
                    Type.STRING,
                    "us-east-1",
                    new ConfigDef.NonEmptyString(),
                    Importance.MEDIUM,
                    "AWS region of the bucket (also used for signing with S3-compatible stores).")
            .define(
                    ENDPOINT_URL,
                    Type.STRING,
                    null,
                    Importance.MEDIUM,
                    "Endpoint of an S3-compatible store (http or https URL); unset means AWS S3.")
            .define(
                    PATH_STYLE_ACCESS_ENABLED,
                    Type.BOOLEAN,
                    false,
                    Importance.LOW,
                    "Address the bucket in the path (http://host/bucket/key) instead of the host name.")
            .define(
                    ACCESS_KEY_ID,
                    Type.PASSWORD,
                    null,
                    Importance.MEDIUM,
                    "Static access key id; unset means the AWS SDK default credential chain.")
            .define(
                    SECRET_ACCESS_KEY,
                    Type.PASSWORD,
                    null,
                    Importance.MEDIUM,
                    "Static secret access key; required with " + ACCESS_KEY_ID + ".")
            .define(
                    KEY_PREFIX,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "Prefix of every object key, for example 'kafka/cluster-1/'.")
            .define(
                    MULTIPART_UPLOAD_PART_SIZE,
                    Type.INT,
                    DEFAULT_PART_SIZE,
                    Range.atLeast(MIN_PART_SIZE),
                    Importance.LOW,
                    "Part size in bytes of multipart uploads; larger log files are uploaded in parts.")
            .define(
                    API_CALL_TIMEOUT_MS,
                    Type.LONG,
                    300_000L,
                    Range.atLeast(1),
                    Importance.LOW,
                    "Time limit of one S3 call including all its retries.")
            .define(
                    API_CALL_ATTEMPT_TIMEOUT_MS,
                    Type.LONG,
                    60_000L,
                    Range.atLeast(1),
                    Importance.LOW,
                    "Time limit of one attempt of an S3 call.")
            .define(
                    RETRY_MAX_ATTEMPTS,
                    Type.INT,
                    5,
                    Range.atLeast(1),
                    Importance.LOW,
                    "Attempts per S3 call (1 = no retry) on throttling (503 SlowDown) and transient errors.")
            .define(
                    RETRY_BACKOFF_BASE_MS,
                    Type.LONG,
                    100L,
                    Range.atLeast(1),
                    Importance.LOW,
                    "Base delay of the exponential backoff (with jitter) between attempts.")
            .define(
                    RETRY_BACKOFF_MAX_MS,
                    Type.LONG,
                    20_000L,
                    Range.atLeast(1),
                    Importance.LOW,
                    "Largest delay between two attempts.")
            .define(
                    SSE_ALGORITHM,
                    Type.STRING,
                    "",
                    ConfigDef.ValidString.in("", "AES256", "aws:kms", "aws:kms:dsse"),
                    Importance.MEDIUM,
                    "Server-side encryption S3 applies to every object the backend writes"
                            + " (x-amz-server-side-encryption): AES256 (SSE-S3), aws:kms (SSE-KMS), aws:kms:dsse;"
                            + " empty for the bucket's default.")
            .define(
                    SSE_KMS_KEY_ID,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "The KMS key (id, ARN or alias) of SSE-KMS (x-amz-server-side-encryption-aws-kms-key-id); empty"
                            + " for the account's default key. Only with s3.sse.algorithm=aws:kms or aws:kms:dsse.");

    private final String bucketName;
    private final String region;
    private final Optional<URI> endpointUrl;
    private final boolean pathStyleAccessEnabled;
    private final Optional<Password> accessKeyId;
    private final Optional<Password> secretAccessKey;
    private final String keyPrefix;
    private final int multipartUploadPartSize;
    private final Duration apiCallTimeout;
    private final Duration apiCallAttemptTimeout;
    private final int retryMaxAttempts;
    private final Duration retryBackoffBase;
    private final Duration retryBackoffMax;
    private final Optional<String> sseAlgorithm;
    private final Optional<String> sseKmsKeyId;

    private S3StorageConfig(AbstractConfig parsed) {
        bucketName = parsed.getString(BUCKET_NAME).trim();
        region = parsed.getString(REGION).trim();
        endpointUrl = Optional.ofNullable(parsed.getString(ENDPOINT_URL))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .map(S3StorageConfig::parseEndpoint);
        pathStyleAccessEnabled = parsed.getBoolean(PATH_STYLE_ACCESS_ENABLED);
        accessKeyId = nonBlank(parsed.getPassword(ACCESS_KEY_ID));
        secretAccessKey = nonBlank(parsed.getPassword(SECRET_ACCESS_KEY));
        if (accessKeyId.isPresent() != secretAccessKey.isPresent()) {
            String missing = accessKeyId.isPresent() ? SECRET_ACCESS_KEY : ACCESS_KEY_ID;
            throw new ConfigException(missing + " must be set together with "
                    + (accessKeyId.isPresent() ? ACCESS_KEY_ID : SECRET_ACCESS_KEY)
                    + " (or leave both unset to use the default credential chain)");
        }
        keyPrefix = parsed.getString(KEY_PREFIX);
        multipartUploadPartSize = parsed.getInt(MULTIPART_UPLOAD_PART_SIZE);
        apiCallTimeout = Duration.ofMillis(parsed.getLong(API_CALL_TIMEOUT_MS));
        apiCallAttemptTimeout = Duration.ofMillis(parsed.getLong(API_CALL_ATTEMPT_TIMEOUT_MS));
        retryMaxAttempts = parsed.getInt(RETRY_MAX_ATTEMPTS);
        retryBackoffBase = Duration.ofMillis(parsed.getLong(RETRY_BACKOFF_BASE_MS));
        retryBackoffMax = Duration.ofMillis(parsed.getLong(RETRY_BACKOFF_MAX_MS));
        sseAlgorithm = Optional.of(parsed.getString(SSE_ALGORITHM).trim()).filter(v -> !v.isEmpty());
        sseKmsKeyId = Optional.of(parsed.getString(SSE_KMS_KEY_ID).trim()).filter(v -> !v.isEmpty());
        if (sseKmsKeyId.isPresent() && !sseAlgorithm.orElse("").startsWith("aws:kms")) {
            throw new ConfigException(SSE_KMS_KEY_ID, sseKmsKeyId.get(), "needs " + SSE_ALGORITHM + "=aws:kms");
        }
        if (retryBackoffMax.compareTo(retryBackoffBase) < 0) {
            throw new ConfigException(
                    RETRY_BACKOFF_MAX_MS,
                    retryBackoffMax.toMillis(),
                    "must be at least " + RETRY_BACKOFF_BASE_MS + " (" + retryBackoffBase.toMillis() + ")");
        }
    }

    /**
     * Parses the plugin's settings.
     *
     * @throws ConfigException naming the key when a value is missing, malformed or out of range
     */
    public static S3StorageConfig parse(Map<String, ?> configs) {
        return new S3StorageConfig(new AbstractConfig(DEFINITION, withoutAivenPrefix(configs), false));
    }

    /** The definition of every key, for documentation and tooling. */
    public static ConfigDef definition() {
        return new ConfigDef(DEFINITION);
    }

    public String bucketName() {
        return bucketName;
    }

    public String region() {
        return region;
    }

    public Optional<URI> endpointUrl() {
        return endpointUrl;
    }

    public boolean pathStyleAccessEnabled() {
        return pathStyleAccessEnabled;
    }

    /** The access key id, only for building the credentials provider. */
    Optional<Password> accessKeyId() {
        return accessKeyId;
    }

    /** The secret access key, only for building the credentials provider. */
    Optional<Password> secretAccessKey() {
        return secretAccessKey;
    }

    public boolean staticCredentials() {
        return accessKeyId.isPresent();
    }

    public String keyPrefix() {
        return keyPrefix;
    }

    public int multipartUploadPartSize() {
        return multipartUploadPartSize;
    }

    public Duration apiCallTimeout() {
        return apiCallTimeout;
    }

    public Duration apiCallAttemptTimeout() {
        return apiCallAttemptTimeout;
    }

    public int retryMaxAttempts() {
        return retryMaxAttempts;
    }

    public Duration retryBackoffBase() {
        return retryBackoffBase;
    }

    public Duration retryBackoffMax() {
        return retryBackoffMax;
    }

    /** {@code s3.sse.algorithm}: the server-side encryption S3 is asked for, empty for the bucket's default. */
    public Optional<String> sseAlgorithm() {
        return sseAlgorithm;
    }

    /** {@code s3.sse.kms.key.id}: the KMS key of SSE-KMS, empty for the account's default. */
    public Optional<String> sseKmsKeyId() {
        return sseKmsKeyId;
    }

    @Override
    public String toString() {
        return "S3StorageConfig{bucket=" + bucketName + ", region=" + region
                + ", endpoint=" + endpointUrl.map(URI::toString).orElse("AWS")
                + ", pathStyle=" + pathStyleAccessEnabled
                + ", credentials=" + (staticCredentials() ? "static (hidden)" : "default chain")
                + ", keyPrefix='" + keyPrefix + "', partSize=" + multipartUploadPartSize
                + ", apiCallTimeout=" + apiCallTimeout + ", apiCallAttemptTimeout=" + apiCallAttemptTimeout
                + ", retryMaxAttempts=" + retryMaxAttempts + ", backoff=" + retryBackoffBase + ".." + retryBackoffMax
                + ", sse=" + sseAlgorithm.orElse("bucket default")
                + sseKmsKeyId.map(k -> " key " + k).orElse("")
                + "}";
    }

    /** Rewrites {@code storage.x} to {@code x}; the two spellings of one key must agree. */
    private static Map<String, Object> withoutAivenPrefix(Map<String, ?> configs) {
        Map<String, Object> result = new HashMap<>();
        configs.forEach((key, value) -> {
            if (!key.startsWith(AIVEN_STORAGE_PREFIX)) {
                result.merge(key, value, (aliased, plain) -> plain);
            }
        });
        configs.forEach((key, value) -> {
            if (key.startsWith(AIVEN_STORAGE_PREFIX)) {
                String plain = key.substring(AIVEN_STORAGE_PREFIX.length());
                Object existing = result.putIfAbsent(plain, value);
                if (existing != null && !sameValue(existing, value)) {
                    // never echo the values: they may be credentials
                    throw new ConfigException(
                            "Both " + plain + " and " + key + " are set, to different values; set only one");
                }
            }
        });
        return result;
    }

    private static boolean sameValue(Object a, Object b) {
        return Objects.equals(String.valueOf(a).trim(), String.valueOf(b).trim());
    }

    private static Optional<Password> nonBlank(Password password) {
        return Optional.ofNullable(password)
                .filter(p -> p.value() != null && !p.value().isBlank());
    }

    private static URI parseEndpoint(String value) {
        try {
            URI uri = new URI(value);
            if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())
                    || uri.getHost() == null) {
                throw new ConfigException(ENDPOINT_URL, value, "must be an http:// or https:// URL with a host");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ConfigException(ENDPOINT_URL, value, "not a URL: " + e.getMessage());
        }
    }
}
