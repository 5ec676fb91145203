package dev.strata.storage.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ManifestReadAheadTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int READS_IN_FLIGHT = 4;

    @Test
    void readsThatManyManifestsAtOnceAndNoMore() {
        CountDownLatch allStarted = new CountDownLatch(READS_IN_FLIGHT);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger mostInFlight = new AtomicInteger();
        Function<Integer, Optional<byte[]>> reader = name -> {
            mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                allStarted.countDown();
                // the first reads finish only once as many are in flight: one read at a time would wait in vain
                await(allStarted);
                return Optional.of(bytes(name));
            } finally {
                inFlight.decrementAndGet();
            }
        };

        assertThat(texts(ManifestReadAhead.read(names(100), reader, READS_IN_FLIGHT)))
                .isEqualTo(texts(100));
        assertThat(mostInFlight).hasValue(READS_IN_FLIGHT);
    }

    @Test
    void manifestsComeOutInListingOrderWhateverTheOrderTheirReadsFinishIn() {
        Map<Integer, CountDownLatch> read = new ConcurrentHashMap<>();
        Function<Integer, Optional<byte[]>> reader = name -> {
            if (name % 2 == 0) {
                // an even manifest is read only after the next one
                await(read.computeIfAbsent(name + 1, n -> new CountDownLatch(1)));
            }
            read.computeIfAbsent(name, n -> new CountDownLatch(1)).countDown();
            return Optional.of(bytes(name));
        };

        assertThat(texts(ManifestReadAhead.read(names(50), reader, READS_IN_FLIGHT)))
                .isEqualTo(texts(50));
    }

    @Test
    void takesNamesFromTheListingOnlyToKeepItsReadsInFlight() {
        AtomicInteger taken = new AtomicInteger();
        Stream<Integer> endless = Stream.iterate(0, n -> n + 1).peek(n -> taken.incrementAndGet());

        try (Stream<byte[]> manifests =
                ManifestReadAhead.read(endless, name -> Optional.of(bytes(name)), READS_IN_FLIGHT)) {
            Iterator<byte[]> it = manifests.iterator();
            for (int i = 0; i < 10; i++) {
                assertThat(text(it.next())).isEqualTo(Integer.toString(i));
                assertThat(taken.get())
                        .as("names taken once %d manifests were handed out", i + 1)
                        .isLessThanOrEqualTo(i + 1 + READS_IN_FLIGHT);
            }
        }
    }

    @Test
    void aManifestDeletedSinceItWasListedIsLeftOut() {
        Function<Integer, Optional<byte[]>> reader =
                name -> name % 3 == 0 ? Optional.empty() : Optional.of(bytes(name));

        assertThat(texts(ManifestReadAhead.read(names(30), reader, READS_IN_FLIGHT)))
                .isEqualTo(IntStream.range(0, 30)
                        .filter(n -> n % 3 != 0)
                        .mapToObj(Integer::toString)
                        .toList());
    }

    @Test
    void aFailedReadIsThrownInItsTurnAndClosingStopsTheReadsAndClosesTheListing() {
        Set<Thread> before = readerThreads();
        AtomicBoolean listingClosed = new AtomicBoolean();
        Function<Integer, Optional<byte[]>> reader = name -> {
            if (name == 5) {
                throw new UncheckedIOException(new IOException("injected: manifest 5 cannot be read"));
            }
            return Optional.of(bytes(name));
        };
        List<String> handedOut = new ArrayList<>();

        try (Stream<byte[]> manifests =
                ManifestReadAhead.read(names(100).onClose(() -> listingClosed.set(true)), reader, READS_IN_FLIGHT)) {
            Iterator<byte[]> it = manifests.iterator();
            assertThatThrownBy(() -> {
                        while (it.hasNext()) {
                            handedOut.add(text(it.next()));
                        }
                    })
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining("injected: manifest 5 cannot be read");
        }

        assertThat(handedOut).isEqualTo(texts(5));
        assertThat(listingClosed).isTrue();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!before.containsAll(readerThreads())) {
            assertThat(System.nanoTime()).as("reading threads ended").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    @Test
    void readsInFlightMustBePositive() {
        assertThatThrownBy(() -> ManifestReadAhead.read(names(1), name -> Optional.empty(), 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static Stream<Integer> names(int count) {
        return IntStream.range(0, count).boxed();
    }

    private static List<String> texts(int count) {
        return IntStream.range(0, count).mapToObj(Integer::toString).toList();
    }

    private static List<String> texts(Stream<byte[]> manifests) {
        try (manifests) {
            return manifests.map(ManifestReadAheadTest::text).toList();
        }
    }

    private static byte[] bytes(int name) {
        return Integer.toString(name).getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] manifest) {
        return new String(manifest, StandardCharsets.UTF_8);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("waited " + TIMEOUT + " for other reads");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static Set<Thread> readerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.isAlive() && thread.getName().startsWith("strata-manifest-reader-"))
                .collect(Collectors.toSet());
    }
}
