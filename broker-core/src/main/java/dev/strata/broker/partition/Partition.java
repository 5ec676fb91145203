package dev.strata.broker.partition;

import dev.strata.broker.cluster.IsrChannel;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.config.ReplicationConfig;
import dev.strata.broker.log.FetchDataInfo;
import dev.strata.broker.log.LeaderEpochCache;
import dev.strata.broker.log.LocalLog;
import dev.strata.broker.log.LogAppendInfo;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntFunction;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.FencedLeaderEpochException;
import org.apache.kafka.common.errors.InvalidUpdateVersionException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One partition hosted by this broker, as leader or follower (Kafka's {@code Partition}): its log, the partition state
 * last applied ({@link PartitionState}: replicas, ISR, leader, epochs) and, on the leader, what it knows of each
 * follower ({@link FollowerReplica}), from which it moves the high watermark and asks the controller to grow or shrink
 * the ISR.
 *
 * <p>Rules, as Kafka's:
 *
 * <ul>
 *   <li>The high watermark is the smallest log end offset among the ISR members, lagging or not, the replicas an ISR
 *       change in flight is adding included and the ones it is removing until the controller has committed it (a
 *       leader cut off from the controller never gets there, so it never acknowledges what its followers lack). It
 *       never moves backwards.
 *   <li>A follower joins the ISR when its log end reaches the high watermark (and the start of this leader's epoch), and
 *       leaves it when it has not caught up with the leader's log end for {@code replica.lag.time.max.ms}. Both go
 *       through {@link IsrChannel}, one change in flight at a time; a change refused because this leader's view is
 *       stale waits for the newer state to be applied.
 *   <li>{@code min.insync.replicas} counts the committed ISR.
 * </ul>
 *
 * <p>Threads: appends and follower fetches hold {@link #leaderIsrLock}'s read lock, so they run in parallel but never
 * across a change of leader or epoch, which holds the write lock. Follower state, ISR and high watermark decisions are
 * made under the partition's monitor, taken inside the read lock, never the other way round. Whenever the high
 * watermark moves, {@link Listener#onHighWatermarkChanged} is called (after the monitor is released) so that parked
 * fetches and produces try again.
 *
 * <p>Why it is ~640 lines: leadership changes, appends, follower fetches, ISR changes and the high watermark read and
 * write the same few fields under the one lock discipline above (the read/write lock, then the monitor). Moved to
 * another class, the ISR and high-watermark rules would need those fields and both locks exposed, and the order in
 * which the locks are taken could no longer be checked in one file. What does not need them lives elsewhere:
 * {@link FollowerReplica}, {@link ReplicaFetchResult}, {@link PartitionStateApplier}.
 */
public final class Partition {

    private static final Logger LOG = LoggerFactory.getLogger(Partition.class);

    /** Told when the high watermark of a partition moves. */
    @FunctionalInterface
    public interface Listener {
        Listener NONE = tp -> {};

        void onHighWatermarkChanged(TopicPartition tp);
    }

    private final TopicPartition topicPartition;
    private final Uuid topicId;
    private final LocalLog log;
    private final int localBrokerId;
    private final Time time;
    private final IsrChannel isrChannel;
    private final long replicaLagTimeMaxMs;
    private final Listener listener;
    private final ReentrantReadWriteLock leaderIsrLock = new ReentrantReadWriteLock();

    private volatile int leaderId;
    private volatile int leaderEpoch;
    private volatile int partitionEpoch;
    private volatile List<Integer> replicas;
    private volatile Set<Integer> isr;
    /** The ISR plus the replicas an ISR change in flight adds; equals {@link #isr} with none in flight. */
    private Set<Integer> maximalIsr;
    /** Whether an ISR change is in flight (or was refused as stale, and waits for the newer state). */
    private boolean isrChangePending;
    /** The log end offset when this broker became leader in its epoch: a follower must reach it to join the ISR. */
    private long leaderEpochStartOffset;

    private final Map<Integer, FollowerReplica> followers = new HashMap<>();

    /** A partition led by this broker alone (replicas and ISR: this broker), as on a single broker. */
    public Partition(TopicPartition topicPartition, Uuid topicId, LocalLog log, int localBrokerId, int leaderEpoch) {
        this(
                topicPartition,
                topicId,
                log,
                localBrokerId,
                Time.SYSTEM,
                noIsrChannel(),
                ReplicationConfig.DEFAULT_REPLICA_LAG_TIME_MAX_MS,
                Listener.NONE);
        becomeSoleLeader(leaderEpoch);
    }

    /**
     * Leads the partition alone (replicas and ISR: this broker) in {@code epoch}, as a single broker does: everything
     * in the log is committed. The epoch cache learns the epoch from the batches written in it.
     */
    void becomeSoleLeader(int epoch) {
        leaderIsrLock.writeLock().lock();
        try {
            synchronized (this) {
                leaderId = localBrokerId;
                leaderEpoch = epoch;
                replicas = List.of(localBrokerId);
                isr = Set.of(localBrokerId);
                maximalIsr = isr;
                isrChangePending = false;
                followers.clear();
            }
        } finally {
            leaderIsrLock.writeLock().unlock();
        }
        maybeIncrementHighWatermark();
    }

    /** A partition whose role is set by {@link #makeLeader} or {@link #makeFollower}; until then it is neither. */
    Partition(
            TopicPartition topicPartition,
            Uuid topicId,
            LocalLog log,
            int localBrokerId,
            Time time,
            IsrChannel isrChannel,
            long replicaLagTimeMaxMs,
            Listener listener) {
        this.topicPartition = topicPartition;
        this.topicId = topicId;
        this.log = log;
        this.localBrokerId = localBrokerId;
        this.time = time;
        this.isrChannel = isrChannel;
        this.replicaLagTimeMaxMs = replicaLagTimeMaxMs;
        this.listener = listener;
        this.leaderId = PartitionState.NO_LEADER;
        this.leaderEpoch = LeaderEpochCache.UNDEFINED_EPOCH;
        this.partitionEpoch = -1;
        this.replicas = List.of();
        this.isr = Set.of();
        this.maximalIsr = Set.of();
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public Uuid topicId() {
        return topicId;
    }

    public LocalLog log() {
        return log;
    }

    /** The leader's node id, or -1 when the partition has none (or its state is not known yet). */
    public int leaderId() {
        return leaderId;
    }

    public boolean isLeader() {
        return leaderId == localBrokerId;
    }

    public int leaderEpoch() {
        return leaderEpoch;
    }

    public int partitionEpoch() {
        return partitionEpoch;
    }

    public List<Integer> replicas() {
        return replicas;
    }

    /** The committed in-sync replicas. */
    public Set<Integer> isr() {
        return isr;
    }

    /**
     * Becomes (or stays) leader in {@code state}. A new leader epoch starts at the log end offset in the epoch cache, and
     * what was known of the followers is forgotten: their log ends are unknown until they fetch, and those in the ISR
     * count as caught up now, so they have {@code replica.lag.time.max.ms} to show up. The high watermark is kept.
     *
     * @return whether this broker was not leader in this epoch before
     */
    boolean makeLeader(PartitionState state) {
        boolean newLeader;
        leaderIsrLock.writeLock().lock();
        try {
            synchronized (this) {
                long now = time.milliseconds();
                newLeader = !isLeader() || state.leaderEpoch() != leaderEpoch;
                if (newLeader) {
                    leaderEpochStartOffset = log.logEndOffset();
                    log.leaderEpochCache().assign(state.leaderEpoch(), leaderEpochStartOffset);
                    followers.clear();
                }
                for (int replica : state.replicas()) {
                    if (replica != localBrokerId) {
                        followers.computeIfAbsent(
                                replica, r -> new FollowerReplica(r, state.isr().contains(r) ? now : 0L));
                    }
                }
                followers.keySet().retainAll(state.replicas());
                applyState(state);
                leaderId = localBrokerId;
            }
        } finally {
            leaderIsrLock.writeLock().unlock();
        }
        if (maybeIncrementHighWatermark()) {
            listener.onHighWatermarkChanged(topicPartition);
        }
        return newLeader;
    }

    /**
     * Becomes (or stays) a follower of {@code state.leader()}.
     *
     * @return whether the leader or the leader epoch changed: the fetcher must (re)start from the new leader
     */
    boolean makeFollower(PartitionState state) {
        leaderIsrLock.writeLock().lock();
        try {
            synchronized (this) {
                boolean changed = leaderId != state.leader() || leaderEpoch != state.leaderEpoch();
                followers.clear();
                applyState(state);
                leaderId = state.leader();
                return changed;
            }
        } finally {
            leaderIsrLock.writeLock().unlock();
        }
    }

    private void applyState(PartitionState state) {
        leaderEpoch = state.leaderEpoch();
        partitionEpoch = state.partitionEpoch();
        replicas = state.replicas();
        isr = Set.copyOf(state.isr());
        maximalIsr = isr;
        isrChangePending = false;
    }

    /**
     * Appends a producer's records as leader.
     *
     * @param requiredAcks -1 requires at least {@code min.insync.replicas} in-sync replicas before anything is written
     * @throws NotLeaderOrFollowerException if this broker does not lead the partition
     * @throws NotEnoughReplicasException if {@code requiredAcks} is -1 and the ISR is below {@code min.insync.replicas}
     */
    public LogAppendInfo appendAsLeader(MemoryRecords records, short requiredAcks) {
        return appendAsLeader(requiredAcks, epoch -> log.appendAsLeader(records, epoch));
    }

    /**
     * Appends records a coordinator on this broker writes (transactional offset commits, say) as leader, with
     * {@code acks=all}: see {@link LocalLog#appendAsCoordinator}.
     *
     * @throws NotLeaderOrFollowerException if this broker does not lead the partition
     * @throws NotEnoughReplicasException if the ISR is below {@code min.insync.replicas}
     */
    public LogAppendInfo appendAsCoordinator(MemoryRecords records) {
        return appendAsLeader((short) -1, epoch -> log.appendAsCoordinator(records, epoch));
    }

    /**
     * Appends the COMMIT or ABORT marker of a producer's transaction as leader, for the transaction coordinator's
     * WriteTxnMarkers; as Kafka, with {@code acks=all}, so at least {@code min.insync.replicas} must be in sync.
     *
     * @throws NotLeaderOrFollowerException if this broker does not lead the partition
     * @throws NotEnoughReplicasException if the ISR is below {@code min.insync.replicas}
     * @throws org.apache.kafka.common.errors.InvalidProducerEpochException if the producer has a newer epoch here
     */
    public LogAppendInfo appendMarkerAsLeader(
            long producerId, short producerEpoch, int coordinatorEpoch, boolean commit) {
        return appendAsLeader(
                (short) -1,
                epoch -> log.appendMarkerAsLeader(producerId, producerEpoch, coordinatorEpoch, commit, epoch));
    }

    private LogAppendInfo appendAsLeader(short requiredAcks, IntFunction<LogAppendInfo> appendAtEpoch) {
        LogAppendInfo info;
        leaderIsrLock.readLock().lock();
        try {
            if (!isLeader()) {
                throw new NotLeaderOrFollowerException(
                        "Broker " + localBrokerId + " is not the leader of " + topicPartition);
            }
            int minIsr = log.config().minInSyncReplicas();
            Set<Integer> inSync = isr;
            if (requiredAcks == -1 && inSync.size() < minIsr) {
                throw new NotEnoughReplicasException("The ISR of " + topicPartition + " has " + inSync.size()
                        + " replica(s), fewer than min.insync.replicas=" + minIsr);
            }
            info = appendAtEpoch.apply(leaderEpoch);
        } finally {
            leaderIsrLock.readLock().unlock();
        }
        if (maybeIncrementHighWatermark()) {
            listener.onHighWatermarkChanged(topicPartition);
        }
        return info;
    }

    /**
     * Whether an {@code acks=all} append ending before {@code requiredOffset} is done (Kafka's
     * {@code checkEnoughReplicasReachOffset}): empty while the high watermark is below it; then NONE, or
     * NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below {@code min.insync.replicas} meanwhile;
     * NOT_LEADER_OR_FOLLOWER once this broker no longer leads.
     */
    public Optional<Errors> replicationStatus(long requiredOffset) {
        if (!isLeader()) {
            return Optional.of(Errors.NOT_LEADER_OR_FOLLOWER);
        }
        if (log.highWatermark() < requiredOffset) {
            return Optional.empty();
        }
        return Optional.of(
                isr.size() < log.config().minInSyncReplicas() ? Errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND : Errors.NONE);
    }

    /**
     * Checks a client's (consumer's, producer's) view of the leader epoch, as Kafka does: an older epoch is fenced, a
     * newer one not known here yet.
     *
     * @param requireLeader whether only the leader may answer (consumer fetches, ListOffsets, OffsetForLeaderEpoch)
     * @return the error, or NONE
     */
    public Errors checkClientEpoch(int currentLeaderEpoch, boolean requireLeader) {
        int epoch = leaderEpoch;
        if (currentLeaderEpoch >= 0 && currentLeaderEpoch < epoch) {
            return Errors.FENCED_LEADER_EPOCH;
        }
        if (currentLeaderEpoch >= 0 && currentLeaderEpoch > epoch) {
            return Errors.UNKNOWN_LEADER_EPOCH;
        }
        if (requireLeader && !isLeader()) {
            return Errors.NOT_LEADER_OR_FOLLOWER;
        }
        return Errors.NONE;
    }

    /**
     * Serves a follower's fetch as leader: checks the follower's epochs, answers a diverging epoch when the follower's
     * log parts from this one, else reads up to the log end and records where the follower is, which may grow the ISR
     * and move the high watermark.
     */
    ReplicaFetchResult fetchForFollower(
            int replicaId, ReplicaFetch.PartitionFetch fetch, int maxBytes, boolean minOne) {
        ReplicaFetchResult result;
        leaderIsrLock.readLock().lock();
        try {
            Errors epochError = checkClientEpoch(fetch.currentLeaderEpoch(), true);
            if (epochError != Errors.NONE) {
                return ReplicaFetchResult.error(epochError);
            }
            if (!replicas.contains(replicaId)) {
                return ReplicaFetchResult.error(Errors.NOT_LEADER_OR_FOLLOWER);
            }
            long leaderEnd = log.logEndOffset();
            long hw = log.highWatermark();
            if (fetch.lastFetchedEpoch() >= 0) {
                LeaderEpochCache.EpochEndOffset end =
                        log.leaderEpochCache().endOffsetFor(fetch.lastFetchedEpoch(), leaderEnd);
                if (end.epoch() < fetch.lastFetchedEpoch() || end.endOffset() < fetch.fetchOffset()) {
                    return new ReplicaFetchResult(
                            Errors.NONE,
                            MemoryRecords.EMPTY,
                            hw,
                            log.logStartOffset(),
                            Optional.of(new ReplicaFetchResult.DivergingEpoch(end.epoch(), end.endOffset())));
                }
            }
            if (log.remoteStorageEnabled()
                    && fetch.fetchOffset() >= log.logStartOffset()
                    && fetch.fetchOffset() < log.localLogStartOffset()) {
                // seam for KIP-405 follower bootstrap: the follower must rebuild from the remote tier
                return ReplicaFetchResult.error(Errors.OFFSET_MOVED_TO_TIERED_STORAGE, hw, log.logStartOffset());
            }
            FetchDataInfo data;
            try {
                data = log.read(fetch.fetchOffset(), maxBytes, leaderEnd, minOne);
            } catch (OffsetOutOfRangeException e) {
                return ReplicaFetchResult.error(Errors.OFFSET_OUT_OF_RANGE, hw, log.logStartOffset());
            }
            updateFollowerFetchState(replicaId, fetch.fetchOffset(), fetch.logStartOffset(), leaderEnd);
            result = new ReplicaFetchResult(
                    Errors.NONE, data.records(), log.highWatermark(), log.logStartOffset(), Optional.empty());
        } finally {
            leaderIsrLock.readLock().unlock();
        }
        return result;
    }

    /** Records a follower's fetch, then grows the ISR and moves the high watermark if it allows. Under the read lock. */
    private void updateFollowerFetchState(int replicaId, long fetchOffset, long followerLogStart, long leaderEnd) {
        boolean hwMoved;
        synchronized (this) {
            FollowerReplica follower = followers.get(replicaId);
            if (follower == null) {
                return;
            }
            follower.onFetch(fetchOffset, followerLogStart, leaderEnd, time.milliseconds());
            maybeExpandIsr(follower);
            hwMoved = maybeIncrementHighWatermark();
        }
        if (hwMoved) {
            listener.onHighWatermarkChanged(topicPartition);
        }
    }

    /** Asks for {@code follower} to join the ISR if it has caught up. Under the monitor. */
    private void maybeExpandIsr(FollowerReplica follower) {
        if (isrChangePending || maximalIsr.contains(follower.id())) {
            return;
        }
        long end = follower.logEndOffset();
        if (end >= log.highWatermark() && end >= leaderEpochStartOffset) {
            Set<Integer> expanded = new LinkedHashSet<>(isr);
            expanded.add(follower.id());
            LOG.info(
                    "Expanding the ISR of {} from {} to {}: replica {} caught up at {}",
                    topicPartition,
                    isr,
                    expanded,
                    follower.id(),
                    end);
            alterIsr(expanded, expanded);
        }
    }

    /**
     * Asks for the ISR members that have not caught up for {@code replica.lag.time.max.ms} to leave it. The replica
     * manager calls this periodically on every partition it leads.
     */
    void maybeShrinkIsr() {
        leaderIsrLock.readLock().lock();
        try {
            synchronized (this) {
                if (!isLeader() || isrChangePending) {
                    return;
                }
                long now = time.milliseconds();
                Set<Integer> shrunk = new LinkedHashSet<>(isr);
                for (int id : isr) {
                    FollowerReplica follower = followers.get(id);
                    if (id != localBrokerId && (follower == null || follower.isLagging(now, replicaLagTimeMaxMs))) {
                        shrunk.remove(id);
                    }
                }
                if (shrunk.size() < isr.size()) {
                    LOG.info(
                            "Shrinking the ISR of {} from {} to {}: the others have not caught up with the leader for"
                                    + " {} ms (leader log end {}, high watermark {})",
                            topicPartition,
                            isr,
                            shrunk,
                            replicaLagTimeMaxMs,
                            log.logEndOffset(),
                            log.highWatermark());
                    // until the shrink is committed the leaving replicas still count for the high watermark
                    alterIsr(shrunk, isr);
                }
            }
        } finally {
            leaderIsrLock.readLock().unlock();
        }
    }

    /** Sends an ISR change; one at a time. Under the monitor. */
    private void alterIsr(Set<Integer> newIsr, Set<Integer> maximal) {
        isrChangePending = true;
        maximalIsr = Set.copyOf(maximal);
        int sentLeaderEpoch = leaderEpoch;
        int sentPartitionEpoch = partitionEpoch;
        isrChannel
                .alterIsr(
                        topicPartition,
                        localBrokerId,
                        sentLeaderEpoch,
                        sentPartitionEpoch,
                        newIsr.stream().sorted().toList())
                .whenComplete((state, error) -> onIsrChangeDone(sentLeaderEpoch, sentPartitionEpoch, state, error));
    }

    private void onIsrChangeDone(int sentLeaderEpoch, int sentPartitionEpoch, PartitionState state, Throwable error) {
        boolean hwMoved = false;
        synchronized (this) {
            if (leaderEpoch != sentLeaderEpoch || partitionEpoch != sentPartitionEpoch || !isLeader()) {
                // a newer state was applied meanwhile; it decides
                return;
            }
            if (error == null) {
                if (state.leaderEpoch() == leaderEpoch && state.partitionEpoch() > partitionEpoch) {
                    partitionEpoch = state.partitionEpoch();
                    replicas = state.replicas();
                    isr = Set.copyOf(state.isr());
                }
                maximalIsr = isr;
                isrChangePending = false;
                LOG.info("ISR of {} is now {} (partition epoch {})", topicPartition, isr, partitionEpoch);
                hwMoved = maybeIncrementHighWatermark();
            } else {
                Throwable cause =
                        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                if (cause instanceof FencedLeaderEpochException || cause instanceof InvalidUpdateVersionException) {
                    // stale: the newer state is on its way; it clears the pending change when applied
                    LOG.info(
                            "ISR change of {} refused as stale ({}); waiting for the newer state",
                            topicPartition,
                            cause);
                } else {
                    LOG.warn("ISR change of {} failed; it is tried again: {}", topicPartition, cause.toString());
                    maximalIsr = isr;
                    isrChangePending = false;
                }
            }
        }
        if (hwMoved) {
            listener.onHighWatermarkChanged(topicPartition);
        }
    }

    /**
     * Moves the high watermark up to the smallest log end offset among the members of the maximal ISR, as leader.
     * Every member counts, lagging or not, until the controller has committed an ISR without it (Kafka's maximal ISR):
     * a leader cut off from its followers and from the controller, whose shrink can never be committed, must not move
     * the high watermark past what its followers have, or it would acknowledge {@code acks=all} writes that a new
     * leader, elected from those followers, does not have.
     *
     * @return whether it moved
     */
    synchronized boolean maybeIncrementHighWatermark() {
        if (!isLeader()) {
            return false;
        }
        long newHw = log.logEndOffset();
        for (int id : maximalIsr) {
            if (id == localBrokerId) {
                continue;
            }
            FollowerReplica follower = followers.get(id);
            if (follower == null) {
                return false;
            }
            newHw = Math.min(newHw, follower.logEndOffset());
        }
        long oldHw = log.highWatermark();
        if (newHw > oldHw) {
            log.updateHighWatermark(newHw);
            return true;
        }
        return false;
    }

    /**
     * Appends batches fetched from the leader and follows its high watermark (as far as this log goes) and log start
     * offset.
     */
    LogAppendInfo appendAsFollower(MemoryRecords records, long leaderHighWatermark, long leaderLogStartOffset) {
        leaderIsrLock.readLock().lock();
        try {
            if (isLeader()) {
                throw new NotLeaderOrFollowerException("Broker " + localBrokerId + " leads " + topicPartition);
            }
            LogAppendInfo info = log.appendAsFollower(records);
            if (leaderHighWatermark >= 0) {
                log.updateHighWatermark(Math.min(leaderHighWatermark, log.logEndOffset()));
            }
            if (leaderLogStartOffset >= 0 && !log.remoteStorageEnabled()) {
                log.maybeIncrementLogStartOffset(leaderLogStartOffset);
            }
            return info;
        } finally {
            leaderIsrLock.readLock().unlock();
        }
    }

    /** Truncates this follower's log to {@code offset}, e.g. where it diverges from the leader's. */
    void truncateTo(long offset) {
        leaderIsrLock.readLock().lock();
        try {
            if (!isLeader()) {
                log.truncateTo(offset);
            }
        } finally {
            leaderIsrLock.readLock().unlock();
        }
    }

    /** Empties this follower's log and restarts it at {@code offset}, the leader's log start offset. */
    void truncateFullyAndStartAt(long offset) {
        leaderIsrLock.readLock().lock();
        try {
            if (!isLeader()) {
                log.truncateFullyAndStartAt(offset);
            }
        } finally {
            leaderIsrLock.readLock().unlock();
        }
    }

    /** Whether this broker follows the partition (so its log may be restarted after the remote tier). */
    boolean isFollower() {
        leaderIsrLock.readLock().lock();
        try {
            return !isLeader();
        } finally {
            leaderIsrLock.readLock().unlock();
        }
    }

    /** What the leader knows of a follower, for tests and DescribeLogDirs-like tools: its log end, or -1. */
    synchronized long followerLogEndOffset(int replicaId) {
        FollowerReplica follower = followers.get(replicaId);
        return follower == null ? -1L : follower.logEndOffset();
    }

    private static IsrChannel noIsrChannel() {
        return (tp, leader, leaderEpoch, partitionEpoch, newIsr) -> java.util.concurrent.CompletableFuture.failedFuture(
                new ApiException("No controller to change the ISR of " + tp));
    }

    @Override
    public String toString() {
        return "Partition(" + topicPartition + ", leader=" + leaderId + ", leaderEpoch=" + leaderEpoch + ", isr=" + isr
                + ")";
    }
}
