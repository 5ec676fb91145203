package dev.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class RemoteReadBudgetTest {

    private final List<CompletableFuture<String>> started = new ArrayList<>();

    @Test
    void readsBeyondTheBudgetWaitInOrderAndStartAsBytesAreGivenBack() {
        RemoteReadBudget budget = new RemoteReadBudget(10, Runnable::run);

        CompletableFuture<String> a = budget.submit(6, this::read);
        CompletableFuture<String> b = budget.submit(4, this::read);
        CompletableFuture<String> c = budget.submit(5, this::read);
        CompletableFuture<String> d = budget.submit(1, this::read);

        assertThat(started).hasSize(2);
        assertThat(budget.usedBytes()).isEqualTo(10);
        assertThat(budget.deferredReads()).isEqualTo(2);

        started.get(0).complete("a");
        assertThat(a).isCompletedWithValue("a");
        // c (5 bytes) fits in the 6 given back, and d behind it too: arrival order, no overtaking
        assertThat(started).hasSize(4);
        assertThat(budget.usedBytes()).isEqualTo(10);

        started.get(1).complete("b");
        started.get(2).complete("c");
        started.get(3).completeExceptionally(new IllegalStateException("backend down"));
        assertThat(b).isCompletedWithValue("b");
        assertThat(c).isCompletedWithValue("c");
        assertThat(d).isCompletedExceptionally();
        assertThat(budget.usedBytes()).isZero();
    }

    @Test
    void aReadLargerThanTheWholeBudgetRunsAlone() {
        RemoteReadBudget budget = new RemoteReadBudget(10, Runnable::run);

        budget.submit(4, this::read);
        budget.submit(100, this::read);
        assertThat(started).hasSize(1);

        started.get(0).complete("small");
        assertThat(started).hasSize(2);
        assertThat(budget.usedBytes()).isEqualTo(10);
    }

    private CompletableFuture<String> read() {
        CompletableFuture<String> read = new CompletableFuture<>();
        started.add(read);
        return read;
    }
}
