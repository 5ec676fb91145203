package dev.strata.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * What the object store serves on this machine to the plainest clients, the ceiling that Strata's remote replay and
 * upload are measured against: a reader that GETs objects one after the other in ranges of the broker's chunk size,
 * each read to its end, and writers that PUT objects of a segment's size, each writer one object after another. Both
 * use the AWS SDK's synchronous client with the Apache HttpClient 5 transport, as Strata's S3 backend does, without its
 * checksums and digests: what the store and the transport cost, not the broker.
 */
final class ObjectStoreCeiling implements AutoCloseable {
    private final S3Client s3;
    private final String bucket;

    /**
     * @param endpoint the store's endpoint, or a {@link LatencyProxy}'s in front of it
     */
    ObjectStoreCeiling(String endpoint, S3Tier tier) {
        this.bucket = tier.bucket();
        this.s3 = S3Client.builder()
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .endpointOverride(URI.create(endpoint))
                .httpClientBuilder(Apache5HttpClient.builder().maxConnections(64))
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(tier.accessKey(), tier.secretKey())))
                .build();
    }

    /**
     * A transfer: how many objects, how many bytes, and how long it took.
     *
     * @param objects objects read or written
     * @param requests requests made (ranged GETs, PUTs)
     * @param bytes bytes read or written
     * @param seconds wall time
     */
    record Transfer(long objects, long requests, long bytes, double seconds) {
        double megabytesPerSecond() {
            return seconds > 0 ? bytes / seconds / 1_000_000.0 : 0;
        }

        /** The transfer of {@code rounds} (not empty) whose rate is the median (of an even count, the lower middle). */
        static Transfer median(List<Transfer> rounds) {
            List<Transfer> sorted = rounds.stream()
                    .sorted(java.util.Comparator.comparingDouble(Transfer::megabytesPerSecond))
                    .toList();
            return sorted.get((sorted.size() - 1) / 2);
        }

        /** Each of {@code transfers} as {@link #toJson()} gives it. */
        static List<Map<String, Object>> toJson(List<Transfer> transfers) {
            return transfers.stream().map(Transfer::toJson).toList();
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("objects", objects);
            m.put("requests", requests);
            m.put("bytes", bytes);
            m.put("seconds", seconds);
            m.put("mb_per_sec", megabytesPerSecond());
            return m;
        }
    }

    /** The objects under {@code prefix} whose keys end with {@code suffix}, by key. */
    List<S3Object> list(String prefix, String suffix) {
        List<S3Object> objects = new ArrayList<>();
        s3.listObjectsV2Paginator(ListObjectsV2Request.builder()
                        .bucket(bucket)
                        .prefix(prefix)
                        .build())
                .contents()
                .forEach(o -> {
                    if (o.key().endsWith(suffix)) {
                        objects.add(o);
                    }
                });
        objects.sort(Comparator.comparing(S3Object::key));
        return objects;
    }

    /** Reads every object one after the other, in ranged GETs of at most {@code rangeBytes}, each to its end. */
    Transfer read(List<S3Object> objects, int rangeBytes) {
        byte[] sink = new byte[64 * 1024];
        long bytes = 0;
        long requests = 0;
        long start = System.nanoTime();
        for (S3Object o : objects) {
            for (long from = 0; from < o.size(); from += rangeBytes) {
                long to = Math.min(o.size(), from + rangeBytes) - 1;
                try (InputStream in = s3.getObject(GetObjectRequest.builder()
                        .bucket(bucket)
                        .key(o.key())
                        .range("bytes=" + from + "-" + to)
                        .build())) {
                    int n;
                    while ((n = in.read(sink)) >= 0) {
                        bytes += n;
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + o.key(), e);
                }
                requests++;
            }
        }
        return new Transfer(objects.size(), requests, bytes, (System.nanoTime() - start) / 1e9);
    }

    /** A round of {@link #warmUp} beats the best before it when it is this much faster. */
    static final double WARM_UP_GAIN = 1.1;

    /** {@link #warmUp} writes at least this many rounds: S3Proxy still got faster after four flat ones here. */
    static final int WARM_UP_MIN_ROUNDS = 8;

    /** {@link #warmUp} stops after this many rounds even if S3Proxy still gets faster. */
    static final int WARM_UP_MAX_ROUNDS = 16;

    /**
     * Writes rounds of {@code objects} objects of {@code objectBytes} bytes under {@code prefix} (each round over the
     * same keys), as {@link #write} does, until S3Proxy's PUT rate stops growing: at least
     * {@value #WARM_UP_MIN_ROUNDS} rounds, then until two rounds in a row are not {@value #WARM_UP_GAIN}x faster than
     * the best round before them, at most {@value #WARM_UP_MAX_ROUNDS}. S3Proxy's JIT takes thousands of PUTs to
     * compile its write path (its rate from a fresh start here: 47, 97, 135, 169, 159, 168 MB/s in rounds of about
     * 1,200 PUTs; in rounds of 256 PUTs of 1 MiB, 49, 85, 93, 100 and then 140 in the ceiling), so a ceiling or an upload
     * measured after a few hundred PUTs measures the compiler. Returns every round.
     */
    List<Transfer> warmUp(String prefix, int objects, int objectBytes, int streams) throws Exception {
        List<Transfer> rounds = new ArrayList<>();
        List<Double> rates = new ArrayList<>();
        while (rounds.size() < WARM_UP_MIN_ROUNDS || (rounds.size() < WARM_UP_MAX_ROUNDS && !plateaued(rates))) {
            Transfer round = write(prefix, objects, objectBytes, streams);
            rounds.add(round);
            rates.add(round.megabytesPerSecond());
        }
        return rounds;
    }

    /** Whether each of the last two of {@code rates} is less than {@value #WARM_UP_GAIN}x the best before it. */
    static boolean plateaued(List<Double> rates) {
        int n = rates.size();
        if (n < 3) {
            return false;
        }
        double best = rates.subList(0, n - 2).stream()
                .mapToDouble(Double::doubleValue)
                .max()
                .orElseThrow();
        return rates.get(n - 2) < best * WARM_UP_GAIN
                && rates.get(n - 1) < Math.max(best, rates.get(n - 2)) * WARM_UP_GAIN;
    }

    /**
     * Writes {@code objects} objects of {@code objectBytes} random bytes under {@code prefix}, from {@code streams}
     * writers at once, each one PUT after another.
     */
    Transfer write(String prefix, int objects, int objectBytes, int streams) throws Exception {
        byte[] payload = new byte[objectBytes];
        ThreadLocalRandom.current().nextBytes(payload);
        ExecutorService pool = Executors.newFixedThreadPool(streams);
        try {
            long start = System.nanoTime();
            List<Future<?>> writes = new ArrayList<>();
            for (int w = 0; w < streams; w++) {
                int writer = w;
                writes.add(pool.submit(() -> {
                    for (int i = writer; i < objects; i += streams) {
                        s3.putObject(
                                PutObjectRequest.builder()
                                        .bucket(bucket)
                                        .key(String.format("%s%08d", prefix, i))
                                        .build(),
                                RequestBody.fromBytes(payload));
                    }
                }));
            }
            for (Future<?> write : writes) {
                write.get();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Transfer(objects, objects, (long) objects * objectBytes, seconds);
        } finally {
            pool.shutdownNow();
        }
    }

    @Override
    public void close() {
        s3.close();
    }
}
