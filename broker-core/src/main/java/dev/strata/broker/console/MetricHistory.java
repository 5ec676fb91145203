package dev.strata.broker.console;

import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Supplier;

/**
 * The last few minutes of the broker's key figures for the console's charts: a ring of at most {@code capacity}
 * {@link Sample}s, one taken every few seconds by the server's scheduler from in-memory counters (never from disk), so
 * its memory is bounded whatever the uptime. Counters are kept as totals; a chart shows the rate between two samples.
 */
public final class MetricHistory {

    /**
     * The broker at one instant.
     *
     * @param timeMs when it was taken (epoch milliseconds)
     * @param bytesIn bytes of request frames received since the broker started
     * @param bytesOut bytes of response frames sent since the broker started
     * @param requests requests answered since the broker started
     * @param copiedBytes log bytes copied to the remote tier since the broker started
     * @param copyErrors failed copies since the broker started
     * @param copyLagBytes bytes of sealed segments not yet copied, over the partitions this broker tiers
     * @param localBytes bytes of the local logs of the partitions this broker hosts
     * @param remoteBytes bytes the remote tier holds of the partitions this broker tiers
     * @param heapUsedBytes JVM heap in use
     */
    public record Sample(
            long timeMs,
            double bytesIn,
            double bytesOut,
            double requests,
            long copiedBytes,
            long copyErrors,
            long copyLagBytes,
            long localBytes,
            long remoteBytes,
            long heapUsedBytes) {}

    /** How often the server samples. */
    public static final long INTERVAL_MS = 5_000;

    /** Ten minutes of samples. */
    public static final int DEFAULT_CAPACITY = 120;

    private final int capacity;
    private final Supplier<Sample> source;
    private final ArrayDeque<Sample> samples;

    /**
     * @param capacity the most samples kept; the oldest goes when a new one comes
     * @param source takes one sample; called by {@link #sample()}
     */
    public MetricHistory(int capacity, Supplier<Sample> source) {
        if (capacity < 2) {
            throw new IllegalArgumentException("capacity must be at least 2, got " + capacity);
        }
        this.capacity = capacity;
        this.source = source;
        this.samples = new ArrayDeque<>(capacity);
    }

    /** Takes a sample and keeps it, dropping the oldest when the ring is full. */
    public void sample() {
        add(source.get());
    }

    synchronized void add(Sample sample) {
        if (samples.size() == capacity) {
            samples.removeFirst();
        }
        samples.addLast(sample);
    }

    /** The samples kept, oldest first. */
    public synchronized List<Sample> samples() {
        return List.copyOf(samples);
    }

    /** The newest sample, or null before the first. */
    public synchronized Sample latest() {
        return samples.peekLast();
    }
}
