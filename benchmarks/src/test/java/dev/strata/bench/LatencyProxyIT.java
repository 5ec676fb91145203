package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.bench.S3RequestCounter.Kind;
import dev.strata.testing.S3ProxyEndpoint;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The smoke run of {@code bench tiered}'s object-store side, in seconds: the ceiling client writes, lists and reads
 * through a {@link LatencyProxy} with latency and a cap in front of S3Proxy (in this JVM), every byte comes back, and
 * the proxy counts exactly the requests the client made.
 */
class LatencyProxyIT {
    private static final String BUCKET = "ceiling";

    @Test
    void theCeilingClientsRequestsAreCountedThroughTheProxy() throws Exception {
        try (S3ProxyEndpoint store = S3ProxyEndpoint.inMemory();
                LatencyProxy proxy = LatencyProxy.inFrontOf(store.url()).shape(5, 200)) {
            createBucket(store);
            S3Tier tier = new S3Tier(store.url(), BUCKET, store.accessKey(), store.secretKey(), "");
            try (ObjectStoreCeiling client = new ObjectStoreCeiling(proxy.endpoint(), tier)) {
                ObjectStoreCeiling.Transfer written = client.write("segments/", 6, 100_000, 2);
                List<S3Object> listed = client.list("segments/", "");
                ObjectStoreCeiling.Transfer read = client.read(listed, 40_000);

                assertThat(written.bytes()).isEqualTo(600_000);
                assertThat(listed).hasSize(6).allMatch(o -> o.size() == 100_000);
                assertThat(read.bytes()).isEqualTo(600_000);
                assertThat(read.requests()).as("three ranges of each object").isEqualTo(18);
                S3RequestCounter.Counts counts = proxy.requests().snapshot();
                assertThat(counts.of(Kind.PUT)).isEqualTo(6);
                assertThat(counts.of(Kind.LIST)).isEqualTo(1);
                assertThat(counts.of(Kind.GET)).isEqualTo(18);
                assertThat(counts.puts() + counts.getPriced() + counts.deletes())
                        .isEqualTo(24);
            }
        }
    }

    @Test
    void theWarmUpWritesItsRoundsOverTheSameKeysUntilThePutRateLevelsOff() throws Exception {
        try (S3ProxyEndpoint store = S3ProxyEndpoint.inMemory();
                LatencyProxy proxy = LatencyProxy.inFrontOf(store.url())) {
            createBucket(store);
            S3Tier tier = new S3Tier(store.url(), BUCKET, store.accessKey(), store.secretKey(), "");
            try (ObjectStoreCeiling client = new ObjectStoreCeiling(proxy.endpoint(), tier)) {
                List<ObjectStoreCeiling.Transfer> rounds = client.warmUp("warm/", 4, 10_000, 2);

                assertThat(rounds)
                        .hasSizeBetween(ObjectStoreCeiling.WARM_UP_MIN_ROUNDS, ObjectStoreCeiling.WARM_UP_MAX_ROUNDS);
                assertThat(rounds).allMatch(r -> r.objects() == 4 && r.bytes() == 40_000);
                assertThat(client.list("warm/", "")).hasSize(4);
                assertThat(proxy.requests().snapshot().of(Kind.PUT)).isEqualTo(4L * rounds.size());
            }
        }
    }

    private static void createBucket(S3ProxyEndpoint store) {
        try (S3Client s3 = S3Client.builder()
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .endpointOverride(URI.create(store.url()))
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(store.accessKey(), store.secretKey())))
                .build()) {
            s3.createBucket(b -> b.bucket(BUCKET));
        }
    }
}
