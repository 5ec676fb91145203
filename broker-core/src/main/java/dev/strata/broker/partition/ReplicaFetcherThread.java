package dev.strata.broker.partition;

import dev.strata.broker.config.ReplicationConfig;
import dev.strata.broker.log.LeaderEpochCache;
import dev.strata.broker.log.LocalLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches every partition this broker follows from one leader broker (Kafka's {@code ReplicaFetcherThread} with the
 * parts of {@code AbstractFetcherThread} it needs): one thread, one {@link LeaderEndpoint}, one Fetch at a time for all
 * its partitions, each sent from the follower's log end with its last fetched epoch and the current leader epoch.
 *
 * <p>Per partition in the answer:
 *
 * <ul>
 *   <li>records: appended as the leader wrote them; the high watermark follows the leader's, as far as this log goes,
 *       and so does the log start offset;
 *   <li>a diverging epoch: the log is truncated where it parts from the leader's (Kafka's truncation on fetch, KIP-595
 *       style, which replaced the separate OffsetForLeaderEpoch round trip in Kafka 2.7+), possibly over several
 *       rounds when this log does not know the leader's epoch;
 *   <li>OFFSET_OUT_OF_RANGE: below the leader's log start the log starts over there; above the leader's log end it is
 *       truncated to the leader's high watermark;
 *   <li>OFFSET_MOVED_TO_TIERED_STORAGE: the log restarts right after the remote tier (KIP-405's bootstrap, see
 *       {@link #onOffsetMovedToTieredStorage}) and fetches the leader's local tail; until this broker's remote index
 *       has caught up the partition backs off and tries again;
 *   <li>a leader or epoch error: the partition backs off until the metadata brings its new state.
 * </ul>
 *
 * <p>Partitions are added and removed by the {@link ReplicaFetcherManager} from the metadata thread; the answer for a
 * partition is applied under this thread's monitor and only if the partition is still fetched in the epoch it was
 * fetched in, so a partition removed (because its leader changed) never gets data from its old leader.
 */
final class ReplicaFetcherThread extends Thread {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicaFetcherThread.class);

    /** One partition this thread fetches: in which leader epoch, and when it may next be fetched. */
    private record FetchState(Uuid topicId, int leaderEpoch, long delayedUntilMs) {}

    private final int localBrokerId;
    private final int leaderId;
    private final LeaderEndpoint.Factory endpoints;
    private final ReplicaManager replicaManager;
    private final ReplicationConfig config;
    private final Time time;
    private final Map<TopicPartition, FetchState> states = new LinkedHashMap<>();
    private LeaderEndpoint endpoint;
    private volatile boolean running = true;

    ReplicaFetcherThread(
            int localBrokerId,
            int leaderId,
            LeaderEndpoint.Factory endpoints,
            ReplicaManager replicaManager,
            ReplicationConfig config,
            Time time) {
        super("ReplicaFetcherThread-" + localBrokerId + "-from-" + leaderId);
        setDaemon(true);
        this.localBrokerId = localBrokerId;
        this.leaderId = leaderId;
        this.endpoints = endpoints;
        this.replicaManager = replicaManager;
        this.config = config;
        this.time = time;
    }

    int leaderId() {
        return leaderId;
    }

    synchronized void addPartition(TopicPartition tp, Uuid topicId, int leaderEpoch) {
        states.put(tp, new FetchState(topicId, leaderEpoch, 0L));
        notifyAll();
    }

    synchronized boolean removePartition(TopicPartition tp) {
        return states.remove(tp) != null;
    }

    synchronized boolean fetches(TopicPartition tp) {
        return states.containsKey(tp);
    }

    synchronized int partitionCount() {
        return states.size();
    }

    /** The leader's address changed: the next fetch connects again. */
    synchronized void reconnect() {
        closeEndpoint();
    }

    void shutdown() {
        running = false;
        synchronized (this) {
            notifyAll();
        }
        interrupt();
        try {
            join(10_000L);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            closeEndpoint();
        }
    }

    @Override
    public void run() {
        LOG.info("Fetcher from broker {} started", leaderId);
        while (running) {
            try {
                doWork();
            } catch (InterruptedException e) {
                if (running) {
                    LOG.warn("Fetcher from broker {} interrupted", leaderId);
                }
            } catch (RuntimeException e) {
                LOG.error("Fetcher from broker {} failed; it backs off and tries again", leaderId, e);
                backOff();
            }
        }
        LOG.info("Fetcher from broker {} stopped", leaderId);
    }

    /** One round: build the fetch, send it, apply the answer. */
    void doWork() throws InterruptedException {
        ReplicaFetch request;
        LeaderEndpoint target;
        synchronized (this) {
            request = buildFetch();
            if (request == null) {
                wait(nextWakeUpMs());
                return;
            }
            if (endpoint == null) {
                endpoint = endpoints.connect(leaderId);
            }
            target = endpoint;
        }
        Map<TopicPartition, ReplicaFetchResult> response;
        try {
            response = target.fetch(request);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            if (running) {
                LOG.info("Fetch from broker {} failed: {}; backing off", leaderId, e.toString());
                synchronized (this) {
                    closeEndpoint();
                }
                backOff();
            }
            return;
        }
        synchronized (this) {
            for (ReplicaFetch.PartitionFetch sent : request.partitions()) {
                ReplicaFetchResult result = response.get(sent.topicPartition());
                FetchState state = states.get(sent.topicPartition());
                if (result == null || state == null || state.leaderEpoch() != sent.currentLeaderEpoch()) {
                    continue; // removed, or moved to another epoch, while the fetch was out
                }
                try {
                    process(sent, state, result);
                } catch (KafkaException e) {
                    LOG.error("Applying the fetch of {} from broker {} failed", sent.topicPartition(), leaderId, e);
                    delay(sent.topicPartition(), state);
                }
            }
        }
    }

    /** The fetch for every partition not backing off, or null when there is none. Under the monitor. */
    private ReplicaFetch buildFetch() {
        long now = time.milliseconds();
        List<ReplicaFetch.PartitionFetch> partitions = new ArrayList<>();
        for (Map.Entry<TopicPartition, FetchState> e : states.entrySet()) {
            FetchState state = e.getValue();
            Optional<Partition> partition = replicaManager.partition(e.getKey());
            if (state.delayedUntilMs() > now || partition.isEmpty()) {
                continue;
            }
            LocalLog log = partition.get().log();
            partitions.add(new ReplicaFetch.PartitionFetch(
                    e.getKey(),
                    state.topicId(),
                    log.logEndOffset(),
                    state.leaderEpoch(),
                    log.latestEpoch(),
                    log.logStartOffset(),
                    config.fetchPartitionMaxBytes()));
        }
        if (partitions.isEmpty()) {
            return null;
        }
        return new ReplicaFetch(
                localBrokerId,
                -1L,
                config.fetchWaitMaxMs(),
                config.fetchMinBytes(),
                config.fetchMaxBytes(),
                partitions);
    }

    private long nextWakeUpMs() {
        long now = time.milliseconds();
        long next = config.fetchBackoffMs();
        for (FetchState state : states.values()) {
            if (state.delayedUntilMs() > now) {
                next = Math.min(next, state.delayedUntilMs() - now);
            }
        }
        return Math.max(1L, next);
    }

    private void process(ReplicaFetch.PartitionFetch sent, FetchState state, ReplicaFetchResult result) {
        TopicPartition tp = sent.topicPartition();
        Optional<Partition> found = replicaManager.partition(tp);
        if (found.isEmpty() || found.get().leaderEpoch() != state.leaderEpoch()) {
            return;
        }
        Partition partition = found.get();
        LocalLog log = partition.log();
        if (log.logEndOffset() != sent.fetchOffset()) {
            return; // the log changed under the fetch (truncated); fetch again from where it is now
        }
        Errors error = result.error();
        switch (error) {
            case NONE -> {
                if (result.divergingEpoch().isPresent()) {
                    truncateOnDivergence(
                            partition, sent, result.divergingEpoch().get());
                } else {
                    partition.appendAsFollower(
                            toMemoryRecords(result.records()), result.highWatermark(), result.logStartOffset());
                }
            }
            case OFFSET_OUT_OF_RANGE -> {
                if (result.logStartOffset() >= 0 && sent.fetchOffset() < result.logStartOffset()) {
                    LOG.info(
                            "Fetch offset {} of {} is below the leader's log start offset {}: starting over there",
                            sent.fetchOffset(),
                            tp,
                            result.logStartOffset());
                    partition.truncateFullyAndStartAt(result.logStartOffset());
                } else if (result.highWatermark() >= 0 && result.highWatermark() < sent.fetchOffset()) {
                    LOG.info(
                            "Fetch offset {} of {} is beyond the leader's log end: truncating to its high watermark {}",
                            sent.fetchOffset(),
                            tp,
                            result.highWatermark());
                    truncate(partition, result.highWatermark());
                } else {
                    delay(tp, state);
                }
            }
            case OFFSET_MOVED_TO_TIERED_STORAGE -> {
                if (!onOffsetMovedToTieredStorage(partition, sent, result)) {
                    delay(tp, state);
                }
            }
            default -> {
                LOG.debug("Fetch of {} from broker {} answered {}; backing off", tp, leaderId, error);
                delay(tp, state);
            }
        }
    }

    /**
     * Where this log parts from the leader's, by Kafka's rule ({@code AbstractFetcherThread.getOffsetTruncationState}):
     * when this log has the leader's epoch, at the smaller of the two ends of that epoch; when it does not, at the end
     * of its own latest epoch below it, after which the next fetch (sent with that older epoch) narrows it down.
     */
    private void truncateOnDivergence(
            Partition partition, ReplicaFetch.PartitionFetch sent, ReplicaFetchResult.DivergingEpoch diverging) {
        LocalLog log = partition.log();
        long target;
        if (diverging.endOffset() < 0) {
            target = log.highWatermark();
        } else if (diverging.epoch() < 0) {
            target = Math.min(diverging.endOffset(), log.logEndOffset());
        } else {
            LeaderEpochCache.EpochEndOffset own =
                    log.leaderEpochCache().endOffsetFor(diverging.epoch(), log.logEndOffset());
            if (own.epoch() == LeaderEpochCache.UNDEFINED_EPOCH) {
                target = Math.min(diverging.endOffset(), log.logEndOffset());
            } else if (own.epoch() != diverging.epoch()) {
                target = Math.min(own.endOffset(), log.logEndOffset());
            } else {
                target = Math.min(Math.min(diverging.endOffset(), own.endOffset()), log.logEndOffset());
            }
        }
        LOG.info(
                "Log of {} diverges from leader {}'s (last fetched epoch {}, leader's epoch {} ends at {}): truncating"
                        + " from {} to {}",
                sent.topicPartition(),
                leaderId,
                sent.lastFetchedEpoch(),
                diverging.epoch(),
                diverging.endOffset(),
                log.logEndOffset(),
                target);
        truncate(partition, target);
    }

    private static void truncate(Partition partition, long target) {
        if (target < partition.log().logStartOffset()) {
            partition.truncateFullyAndStartAt(target);
        } else {
            partition.truncateTo(target);
        }
    }

    /**
     * KIP-405's follower bootstrap: the leader no longer has the fetch offset locally, only in the remote tier. The log
     * restarts after the remote tier with the leader-epoch cache and producer state of its last segment
     * ({@link TieredBootstrap}), so the next fetch asks the leader for its local tail only.
     *
     * @return whether the log was restarted
     */
    private boolean onOffsetMovedToTieredStorage(
            Partition partition, ReplicaFetch.PartitionFetch sent, ReplicaFetchResult result) {
        if (!partition.isFollower()) {
            return false;
        }
        try {
            if (replicaManager.tieredBootstrap().restartAfterRemoteTier(partition, result.logStartOffset())) {
                return true;
            }
            LOG.info(
                    "Fetch offset {} of {} is only in the remote tier of leader {} (log start offset {}); this broker's"
                            + " remote index does not reach past it yet: retrying",
                    sent.fetchOffset(),
                    partition.topicPartition(),
                    leaderId,
                    result.logStartOffset());
        } catch (RuntimeException e) {
            LOG.warn(
                    "Could not restart {} after the remote tier of leader {}; retrying",
                    partition.topicPartition(),
                    leaderId,
                    e);
        }
        return false;
    }

    private void delay(TopicPartition tp, FetchState state) {
        states.put(
                tp,
                new FetchState(state.topicId(), state.leaderEpoch(), time.milliseconds() + config.fetchBackoffMs()));
    }

    private void backOff() {
        synchronized (this) {
            try {
                if (running) {
                    wait(config.fetchBackoffMs());
                }
            } catch (InterruptedException e) {
                // shutdown
            }
        }
    }

    private void closeEndpoint() {
        if (endpoint != null) {
            try {
                endpoint.close();
            } catch (RuntimeException e) {
                LOG.debug("Closing the endpoint of broker {} failed", leaderId, e);
            }
            endpoint = null;
        }
    }

    /** The leader's records as bytes in memory: an in-process leader hands over a slice of its segment file. */
    static MemoryRecords toMemoryRecords(Records records) {
        if (records instanceof MemoryRecords memory) {
            return memory;
        }
        if (records instanceof FileRecords file) {
            ByteBuffer buffer = ByteBuffer.allocate(file.sizeInBytes());
            try {
                file.readInto(buffer, 0); // flips the buffer
            } catch (IOException e) {
                throw new KafkaException("Cannot read the fetched records", e);
            }
            return MemoryRecords.readableRecords(buffer);
        }
        throw new KafkaException(
                "Unsupported records type " + records.getClass().getName());
    }
}
