package dev.strata.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A fetch's wait for its remote reads: answered when they are done or when the wait is over, with what is done. */
class DelayedRemoteFetchTest {

    private static final long HOUR_MS = TimeUnit.HOURS.toMillis(1);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    @Test
    void answersOnceEveryReadIsDoneWithoutWaitingForTheTimer() throws Exception {
        CompletableFuture<String> first = new CompletableFuture<>();
        CompletableFuture<String> second = new CompletableFuture<>();
        AtomicInteger built = new AtomicInteger();

        CompletableFuture<List<String>> response =
                DelayedRemoteFetch.start(List.of(first, second), HOUR_MS, timer, () -> {
                    built.incrementAndGet();
                    return done(first, second);
                });
        first.complete("a");
        assertThat(response).isNotDone();
        second.complete("b");

        assertThat(response.get(30, TimeUnit.SECONDS)).containsExactly("a", "b");
        assertThat(built).hasValue(1);
    }

    @Test
    void answersWhenTheWaitIsOverWithTheReadsDoneByThenAndLeavesTheOthersRunning() throws Exception {
        CompletableFuture<String> fast = CompletableFuture.completedFuture("fast");
        CompletableFuture<String> slow = new CompletableFuture<>();
        AtomicInteger built = new AtomicInteger();

        CompletableFuture<List<String>> response = DelayedRemoteFetch.start(List.of(fast, slow), 1, timer, () -> {
            built.incrementAndGet();
            return done(fast, slow);
        });

        assertThat(response.get(30, TimeUnit.SECONDS)).containsExactly("fast");
        assertThat(slow).as("not cancelled").isNotDone();
        slow.complete("late");
        assertThat(built).as("built once, not again when the slow read ends").hasValue(1);
    }

    @Test
    void aResponseThatCannotBeBuiltFailsTheFetch() {
        CompletableFuture<List<String>> response =
                DelayedRemoteFetch.start(List.of(CompletableFuture.completedFuture("x")), HOUR_MS, timer, () -> {
                    throw new IllegalStateException("broken");
                });

        assertThat(response)
                .failsWithin(30, TimeUnit.SECONDS)
                .withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(IllegalStateException.class);
    }

    @SafeVarargs
    private static List<String> done(CompletableFuture<String>... reads) {
        List<String> out = new ArrayList<>();
        for (CompletableFuture<String> read : reads) {
            String value = read.getNow(null);
            if (value != null) {
                out.add(value);
            }
        }
        return out;
    }
}
