package dev.strata.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Cold first fetches of offsets in the middle of remote segments, on a broker whose chunk cache is empty (just
 * restarted): for each sample a fresh consumer connects to the leader (ListOffsets), seeks to the middle offset of a
 * segment that nothing has read since the restart, and polls until it has records. Timed from that poll to its
 * records; the object store's GETs in that interval are counted by the {@link LatencyProxy} in front of it.
 *
 * <p>The segments sampled are every other remote segment, last first, so that no sample reads a segment that an
 * earlier sample's read (or read-ahead, which goes forward) may have loaded. The consumer asks for 64 KiB per
 * partition, so that the next fetch it sends before the poll returns stays within the same chunk. Each sample starts
 * once the store has seen no GET for {@link #QUIET}, so that an earlier sample's read-ahead is not counted as its.
 */
final class ColdFetchRun {
    private static final Duration POLL = Duration.ofMillis(50);
    private static final Duration LIMIT = Duration.ofMinutes(2);
    /**
     * How long the store must have seen no GET before a sample starts: the previous sample's read-ahead (its
     * partition's next segment, which its consumer no longer wants) had once landed in the next sample's window.
     */
    static final Duration QUIET = Duration.ofMillis(300);

    private static final Duration QUIET_LIMIT = Duration.ofSeconds(10);

    /**
     * One sample.
     *
     * @param partition where
     * @param offset the offset asked for
     * @param millis from the poll to its records
     * @param gets GET-priced requests the store saw meanwhile
     */
    record Sample(TopicPartition partition, long offset, double millis, long gets, List<String> requests) {}

    /**
     * The offsets of the samples: the middle of every other sealed segment, last first, at most {@code count}.
     *
     * @param bases each partition's segment base offsets, the active segment last
     */
    static List<Map.Entry<TopicPartition, Long>> offsets(Map<TopicPartition, List<Long>> bases, int count) {
        List<Map.Entry<TopicPartition, Long>> all = new ArrayList<>();
        for (Map.Entry<TopicPartition, List<Long>> e : bases.entrySet()) {
            List<Long> b = e.getValue();
            for (int i = 0; i + 1 < b.size(); i += 2) {
                all.add(Map.entry(e.getKey(), (b.get(i) + b.get(i + 1)) / 2));
            }
        }
        all.sort(Map.Entry.comparingByValue());
        Collections.reverse(all);
        return all.subList(0, Math.min(count, all.size()));
    }

    static List<Sample> run(String bootstrap, List<Map.Entry<TopicPartition, Long>> offsets, LatencyProxy store) {
        List<Sample> samples = new ArrayList<>();
        for (Map.Entry<TopicPartition, Long> at : offsets) {
            samples.add(fetch(bootstrap, at.getKey(), at.getValue(), store));
        }
        return samples;
    }

    private static Sample fetch(String bootstrap, TopicPartition tp, long offset, LatencyProxy store) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config(bootstrap))) {
            consumer.assign(List.of(tp));
            consumer.endOffsets(List.of(tp), Duration.ofSeconds(30)); // connects to the leader
            consumer.seek(tp, offset);
            awaitQuiet(store.requests()::getPricedSequence, QUIET, QUIET_LIMIT);
            S3RequestCounter.Counts before = store.requests().snapshot();
            long mark = store.requests().getPricedSequence();
            long start = System.nanoTime();
            long deadline = start + LIMIT.toNanos();
            while (consumer.poll(POLL).isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "no records at offset " + offset + " of " + tp + " within " + LIMIT);
                }
            }
            double millis = (System.nanoTime() - start) / 1e6;
            long gets = store.requests().snapshot().minus(before).getPriced();
            List<String> requests = store.requests().getPricedSince(mark).stream()
                    .map(r -> r.describe(start))
                    .toList();
            return new Sample(tp, offset, millis, gets, requests);
        }
    }

    /**
     * Waits until {@code sequence} (the store's count of GET-priced requests so far) stays the same for {@code quiet},
     * at most {@code limit}; says whether it did.
     */
    static boolean awaitQuiet(LongSupplier sequence, Duration quiet, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        long seen = sequence.getAsLong();
        while (System.nanoTime() < deadline) {
            try {
                Thread.sleep(quiet.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            long now = sequence.getAsLong();
            if (now == seen) {
                return true;
            }
            seen = now;
        }
        return false;
    }

    private static Properties config(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "strata-bench-cold-fetch");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024);
        return p;
    }

    /**
     * The samples that did not count exactly one GET, each with the requests the store saw in its window: whether an
     * extra one was the fetch's or something else's (the read-ahead the consumer's next fetch starts, another task).
     */
    static List<String> unexpected(List<Sample> samples) {
        return samples.stream()
                .filter(s -> s.gets() != 1)
                .map(s -> String.format(
                        Locale.ROOT,
                        "%s offset %d: %d GETs in %.1f ms: %s",
                        s.partition(),
                        s.offset(),
                        s.gets(),
                        s.millis(),
                        String.join("; ", s.requests())))
                .toList();
    }

    /** p50, p99 (nearest rank), max, and the GETs per sample, for the table. */
    static String summary(List<Sample> samples) {
        if (samples.isEmpty()) {
            return "-";
        }
        List<Double> ms = samples.stream().map(Sample::millis).sorted().toList();
        long oneGet = samples.stream().filter(s -> s.gets() == 1).count();
        return String.format(
                Locale.ROOT,
                "%.1f/%.1f/%.1f ms, 1 GET in %d of %d",
                rank(ms, 0.50),
                rank(ms, 0.99),
                ms.get(ms.size() - 1),
                oneGet,
                samples.size());
    }

    static double rank(List<Double> sorted, double quantile) {
        int index = (int) Math.ceil(quantile * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    static Map<String, Object> toJson(List<Sample> samples) {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Double> ms = samples.stream().map(Sample::millis).sorted().toList();
        m.put("count", samples.size());
        m.put("p50_ms", ms.isEmpty() ? null : rank(ms, 0.50));
        m.put("p99_ms", ms.isEmpty() ? null : rank(ms, 0.99));
        m.put("max_ms", ms.isEmpty() ? null : ms.get(ms.size() - 1));
        m.put(
                "samples",
                samples.stream()
                        .map(s -> Map.of(
                                "partition", s.partition().toString(),
                                "offset", s.offset(),
                                "ms", s.millis(),
                                "gets", s.gets(),
                                "get_priced_requests", s.requests()))
                        .toList());
        return m;
    }
}
