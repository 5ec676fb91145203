package dev.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class ThreadNicenessTest {

    @Test
    void aThreadOfTheFactoryRunsAtItsNiceValueAndTheThreadsItStartsInheritIt() throws Exception {
        Assumptions.assumeTrue(ThreadNiceness.current().isPresent(), "Linux's /proc/thread-self/stat");
        ExecutorService niced = Executors.newSingleThreadExecutor(ThreadNiceness.daemonThreads("niced-", 6));
        // a factory of nice value 0 leaves its threads at the value of the thread that starts them, as the upload
        // pool's threads take the task threads' value
        ExecutorService inheriting = Executors.newCachedThreadPool(ThreadNiceness.daemonThreads("inheriting-", 0));
        try {
            OptionalInt own = niced.submit(ThreadNiceness::current).get(10, TimeUnit.SECONDS);
            OptionalInt started = niced.submit(
                            () -> inheriting.submit(ThreadNiceness::current).get(10, TimeUnit.SECONDS))
                    .get(10, TimeUnit.SECONDS);
            String name = niced.submit(() -> Thread.currentThread().getName()).get(10, TimeUnit.SECONDS);

            assertThat(own).hasValue(6);
            assertThat(started).hasValue(6);
            assertThat(name).isEqualTo("niced-1");
        } finally {
            niced.shutdownNow();
            inheriting.shutdownNow();
        }
    }

    @Test
    void theFactorysThreadsAreDaemons() throws Exception {
        ThreadFactory factory = ThreadNiceness.daemonThreads("daemon-", 3);
        CompletableFuture<Boolean> daemon = new CompletableFuture<>();
        Thread thread =
                factory.newThread(() -> daemon.complete(Thread.currentThread().isDaemon()));
        thread.start();
        assertThat(daemon.get(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void niceValuesOutsideZeroToNineteenAreRefused() {
        assertThatThrownBy(() -> ThreadNiceness.daemonThreads("x-", -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[0, 19]")
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> ThreadNiceness.daemonThreads("x-", 20))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("20");
        assertThatThrownBy(() -> ThreadNiceness.set(20)).isInstanceOf(IllegalArgumentException.class);
    }
}
