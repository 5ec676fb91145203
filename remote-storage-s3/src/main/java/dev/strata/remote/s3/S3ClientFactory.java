package dev.strata.remote.s3;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * Builds the synchronous S3 client of {@link S3RemoteStorageManager} from its settings.
 *
 * <p>The retry strategy is spelled out rather than left to SDK defaults, because it decides how the broker behaves
 * when the store is slow or away: the SDK's standard strategy (which knows S3's throttling answers such as
 * {@code 503 SlowDown}, 5xx answers and I/O errors as retryable) with the configured attempts and exponential backoff
 * with jitter, for throttling and for other transient errors alike. Its retry quota stops retry storms during a long
 * outage. The per-call timeout bounds a call with all its retries, so a copy or fetch never hangs.
 *
 * <p>PUTs go without the SDK's {@code aws-chunked} content coding: an object's bytes are sent as they are, with their
 * length, their CRC32C in a header and (over plain HTTP, where the SDK always signs the payload) their SHA-256 as the
 * signed payload hash, computed in a pass over the file before the request. The chunked coding signed every 128 KiB
 * chunk, sent the checksum as a trailer and copied each chunk into a new array on its way out: half of what a broker
 * allocated while it uploaded, and a young collection every 2 s of an upload in {@code bench tiered}.
 */
final class S3ClientFactory {

    private S3ClientFactory() {}

    static S3Client create(S3StorageConfig config) {
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(config.region()))
                .forcePathStyle(config.pathStyleAccessEnabled())
                .serviceConfiguration(
                        S3Configuration.builder().chunkedEncodingEnabled(false).build())
                .httpClientBuilder(Apache5HttpClient.builder())
                .overrideConfiguration(o -> o.retryStrategy(retryStrategy(config))
                        .apiCallTimeout(config.apiCallTimeout())
                        .apiCallAttemptTimeout(config.apiCallAttemptTimeout()));
        config.endpointUrl().ifPresent(builder::endpointOverride);
        if (config.staticCredentials()) {
            builder.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                    config.accessKeyId().orElseThrow().value(),
                    config.secretAccessKey().orElseThrow().value())));
        }
        return builder.build();
    }

    static RetryStrategy retryStrategy(S3StorageConfig config) {
        BackoffStrategy backoff = BackoffStrategy.exponentialDelay(config.retryBackoffBase(), config.retryBackoffMax());
        return AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(config.retryMaxAttempts())
                .backoffStrategy(backoff)
                .throttlingBackoffStrategy(backoff)
                .build();
    }
}
