package dev.strata.broker.metadata.quorum;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks every second that a voter's Raft server still runs, and calls a handler once if it stopped on its own (Ratis
 * closes it on a failed log disk, and closed it after a JVM pause of over a minute before {@link RatisSetup} turned
 * that off): the node then has neither its vote nor a metadata image that advances, and should stop, as a Kafka node
 * whose metadata log fails does. {@link #close()} before closing the server, so that a deliberate close is not taken
 * for a failure. Thread: {@code strata-quorum-watch-<node id>}.
 */
final class RaftServerWatch implements AutoCloseable {
    /** The store's logger: what operators configure for the metadata quorum. */
    private static final Logger log = LoggerFactory.getLogger(QuorumMetadataStore.class);

    private final ScheduledExecutorService thread;
    private volatile boolean closing;

    private RaftServerWatch(int nodeId) {
        this.thread = Executors.newSingleThreadScheduledExecutor(
                new DefaultThreadFactory("strata-quorum-watch-" + nodeId, true));
    }

    static RaftServerWatch start(int nodeId, RaftServer server, RaftGroupId groupId, Runnable onStopped) {
        RaftServerWatch watch = new RaftServerWatch(nodeId);
        watch.thread.scheduleWithFixedDelay(
                () -> {
                    if (watch.closing || runs(server, groupId)) {
                        return;
                    }
                    log.error(
                            "The metadata quorum's Raft server of node {} stopped on its own (state {}): this node"
                                    + " has lost its vote and its metadata",
                            nodeId,
                            server.getLifeCycleState());
                    watch.thread.shutdown();
                    onStopped.run();
                },
                1,
                1,
                TimeUnit.SECONDS);
        return watch;
    }

    private static boolean runs(RaftServer server, RaftGroupId groupId) {
        if (server.getLifeCycleState().isClosingOrClosed()) {
            return false;
        }
        try {
            return !server.getDivision(groupId).getInfo().getLifeCycleState().isClosingOrClosed();
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        closing = true;
        thread.shutdownNow();
    }
}
