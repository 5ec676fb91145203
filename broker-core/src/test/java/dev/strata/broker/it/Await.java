package dev.strata.broker.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Waiting in tests: poll a condition until a deadline, never sleep for a guessed time. */
public final class Await {

    private static final long POLL_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private Await() {}

    /** Re-evaluates {@code condition} until it holds; fails naming {@code what} once {@code timeout} has passed. */
    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("Timed out after " + timeout + " waiting for " + what);
            }
            LockSupport.parkNanos(POLL_INTERVAL_NANOS);
        }
    }

    /** Polls {@code consumer} until it has returned at least {@code expected} records in total. */
    static <K, V> List<ConsumerRecord<K, V>> records(Consumer<K, V> consumer, int expected, Duration timeout) {
        List<ConsumerRecord<K, V>> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (out.size() < expected) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("Consumed " + out.size() + " of " + expected + " records within " + timeout
                        + "; last: " + (out.isEmpty() ? "none" : out.get(out.size() - 1)));
            }
            consumer.poll(Duration.ofMillis(200)).forEach(out::add);
        }
        return out;
    }
}
