package dev.strata.broker.metadata.quorum;

import dev.strata.broker.cluster.ClusterChangeListener;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells {@link ClusterChangeListener}s what each applied command changed, on one thread of its own
 * ({@code strata-metadata-listeners}), never on Ratis's apply thread: the apply thread only queues the changes, in log
 * order, and this thread tells them in that order. A listener registers through the same queue, after a task that tells
 * it the whole image as of that point in the log, so it misses nothing and sees nothing twice.
 */
final class ClusterChangeNotifier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterChangeNotifier.class);

    private final ExecutorService thread;
    private final List<ClusterChangeListener> listeners = new CopyOnWriteArrayList<>();

    ClusterChangeNotifier(int nodeId) {
        this.thread = Executors.newSingleThreadExecutor(
                new DefaultThreadFactory("strata-metadata-listeners-" + nodeId, true));
    }

    /** Queues the changes of one applied command (apply thread, under the state machine's lock). */
    void publish(List<ClusterChange> changes) {
        if (!changes.isEmpty()) {
            submit(() -> listeners.forEach(l -> tell(l, changes)));
        }
    }

    /**
     * Queues a new listener behind everything published so far; {@code current} must be the image as of that point
     * (the caller holds the state machine's lock).
     */
    void register(ClusterChangeListener listener, List<ClusterChange> current) {
        submit(() -> {
            tell(listener, current);
            listeners.add(listener);
        });
    }

    /** Waits until everything queued so far was told (tests). */
    void awaitIdle() throws InterruptedException {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        submit(done::countDown);
        done.await(10, TimeUnit.SECONDS);
    }

    private void submit(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException e) {
            // closed: nobody listens any more
        }
    }

    private static void tell(ClusterChangeListener listener, List<ClusterChange> changes) {
        for (ClusterChange c : changes) {
            try {
                c.tell(listener);
            } catch (RuntimeException e) {
                log.error("Cluster change listener {} failed on {}", listener, c, e);
            }
        }
    }

    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
