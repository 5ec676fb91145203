package dev.strata.broker.metadata.quorum;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka's active controller, run by whichever voter leads the quorum: it keeps the brokers' heartbeats in memory and
 * writes what they mean to the log, {@link MetadataCommand.UnfenceBroker} when a fenced broker's heartbeat arrives and
 * {@link MetadataCommand.FenceBroker} when an unfenced broker has been silent for the session timeout. The decisions
 * those commands cause (who leads now) are made as they are applied, by every voter alike ({@link MetadataImage}).
 *
 * <p>Heartbeats reach it as Ratis read-only queries, which Ratis serves on the leader only (a follower answers
 * NotLeader and the broker's client retries at the leader): a heartbeat then costs no log entry and no disk write on
 * any voter, only a state change does, as in Kafka. Heartbeat times live in this voter's memory, so a voter that
 * becomes leader has none: it gives every registered broker one session timeout of grace from that moment.
 *
 * <p>It also logs this node's {@code unclean.leader.election.enable} as the default of topics that do not set it
 * ({@link MetadataCommand.SetUncleanElectionDefault}) whenever the logged value differs, as Kafka's active controller
 * decides with its own broker setting.
 *
 * <p>Threads: {@link #heartbeat} runs on Ratis's RPC threads and only records the time and hands off; everything else
 * runs on the one thread {@code strata-controller}, which also checks the sessions every tenth of the session timeout.
 * Writes go out asynchronously, at most one in flight per broker.
 */
final class QuorumController implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(QuorumController.class);

    /** What a heartbeat's answer says, one byte. */
    enum HeartbeatReply {
        UNFENCED,
        FENCED,
        /** Not registered, or registered by another incarnation: the broker registers again. */
        UNKNOWN,
        /** This voter does not lead (any more): the broker sends again. */
        NOT_CONTROLLER
    }

    private final Supplier<MetadataImage> image;
    private final Function<MetadataCommand, CompletableFuture<?>> writer;
    private final long sessionTimeoutNanos;
    private final boolean uncleanElectionDefault;
    private final LongSupplier nanoClock;
    private final ScheduledExecutorService thread;
    /** Node id to the nano time of its last heartbeat (or of this voter's taking over). */
    private final Map<Integer, Long> lastSeen = new ConcurrentHashMap<>();
    /** Brokers with a fence or unfence write in flight. */
    private final Set<Integer> writing = ConcurrentHashMap.newKeySet();
    /** A leader balancing write is in flight. */
    private final AtomicBoolean balancing = new AtomicBoolean();

    private volatile boolean active;
    /**
     * Raised by every {@link #activate} and {@link #deactivate}: an activation runs on the controller thread only if no
     * call came after it, so a leadership lost before its activation ran never leaves this voter active. Guarded by
     * this object's monitor, with {@link #active}'s writes.
     */
    private long generation;

    QuorumController(
            int nodeId,
            Supplier<MetadataImage> image,
            Function<MetadataCommand, CompletableFuture<?>> writer,
            Duration sessionTimeout,
            boolean uncleanElectionDefault,
            LongSupplier nanoClock) {
        this.image = image;
        this.uncleanElectionDefault = uncleanElectionDefault;
        this.writer = writer;
        this.sessionTimeoutNanos = sessionTimeout.toNanos();
        this.nanoClock = nanoClock;
        this.thread = Executors.newSingleThreadScheduledExecutor(
                new DefaultThreadFactory("strata-controller-" + nodeId, true));
        long checkMs = Math.max(10, sessionTimeout.toMillis() / 10);
        thread.scheduleWithFixedDelay(this::checkSessions, checkMs, checkMs, TimeUnit.MILLISECONDS);
    }

    /**
     * This voter now leads the quorum and can answer heartbeats: every broker gets a session timeout of grace from now.
     */
    void activate() {
        long mine;
        synchronized (this) {
            mine = ++generation;
        }
        thread.execute(() -> {
            long now = nanoClock.getAsLong();
            synchronized (this) {
                if (generation != mine) {
                    return; // deactivated (or activated again) meanwhile
                }
                lastSeen.clear();
                image.get().brokers().forEach(b -> lastSeen.put(b.nodeId(), now));
                active = true;
            }
            log.info("This node is the active controller");
            checkUncleanElectionDefault();
        });
    }

    /** Another voter leads now, or none. */
    void deactivate() {
        boolean was;
        synchronized (this) {
            generation++;
            was = active;
            active = false;
        }
        if (was) {
            log.info("This node is no longer the active controller");
        }
    }

    boolean isActive() {
        return active;
    }

    /** A broker's heartbeat, on a Ratis RPC thread of the leader. */
    HeartbeatReply heartbeat(int nodeId, Uuid incarnationId) {
        if (!active) {
            return HeartbeatReply.NOT_CONTROLLER;
        }
        var registered = image.get().registered(nodeId);
        if (registered.isEmpty()
                || !registered.get().registration().incarnationId().equals(incarnationId)) {
            return HeartbeatReply.UNKNOWN;
        }
        lastSeen.put(nodeId, nanoClock.getAsLong());
        return switch (registered.get().state()) {
            case UNFENCED -> HeartbeatReply.UNFENCED;
            case FENCED -> {
                thread.execute(() -> write(nodeId, new MetadataCommand.UnfenceBroker(nodeId, incarnationId)));
                yield HeartbeatReply.FENCED;
            }
                // a broker that shut down keeps heartbeating until it stops: it stays fenced
            case SHUT_DOWN -> HeartbeatReply.FENCED;
        };
    }

    private void checkSessions() {
        if (!active) {
            return;
        }
        checkUncleanElectionDefault();
        long now = nanoClock.getAsLong();
        for (var b : image.get().clusterBrokers()) {
            if (b.fenced()) {
                continue;
            }
            long seen = lastSeen.computeIfAbsent(b.nodeId(), id -> now);
            if (now - seen > sessionTimeoutNanos) {
                log.info(
                        "Fencing broker {}: no heartbeat for {} ms",
                        b.nodeId(),
                        TimeUnit.NANOSECONDS.toMillis(now - seen));
                write(b.nodeId(), new MetadataCommand.FenceBroker(b.nodeId()));
            }
        }
    }

    /** Key of the default's write among the per-broker writes in flight (no broker has a negative id). */
    private static final int CLUSTER_DEFAULTS = -1;

    private void checkUncleanElectionDefault() {
        if (image.get().uncleanElectionDefault() != uncleanElectionDefault && !writing.contains(CLUSTER_DEFAULTS)) {
            log.info("Setting unclean.leader.election.enable={} for topics that do not set it", uncleanElectionDefault);
            write(CLUSTER_DEFAULTS, new MetadataCommand.SetUncleanElectionDefault(uncleanElectionDefault));
        }
    }

    /** Checks the leaders' balance every {@code interval} on the controller thread ({@link #balanceLeaders}). */
    void scheduleLeaderBalance(Duration interval, int imbalancePercentage) {
        long ms = Math.max(1, interval.toMillis());
        thread.scheduleWithFixedDelay(() -> balanceLeaders(imbalancePercentage), ms, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * Kafka's automatic preferred leader election: the partitions whose preferred replica is alive and in sync but
     * does not lead, on the brokers over the imbalance ratio ({@link MetadataImage#imbalancedLeaders}), get a
     * preferred election; one such write at a time.
     */
    void balanceLeaders(int imbalancePercentage) {
        if (!active || balancing.get()) {
            return;
        }
        List<TopicPartition> imbalanced = image.get().imbalancedLeaders(imbalancePercentage);
        if (imbalanced.isEmpty() || !balancing.compareAndSet(false, true)) {
            return;
        }
        log.info(
                "Moving leadership of {} partition(s) back to their preferred replica: {}",
                imbalanced.size(),
                imbalanced.size() <= 10 ? imbalanced : imbalanced.subList(0, 10) + " ...");
        CompletableFuture<?> f;
        try {
            f = writer.apply(new MetadataCommand.ElectPreferred(imbalanced));
        } catch (RuntimeException e) {
            balancing.set(false);
            log.warn("Cannot balance the leaders: {}", e.toString());
            return;
        }
        f.whenComplete((r, e) -> {
            balancing.set(false);
            if (e != null) {
                log.warn("Cannot balance the leaders: {}", e.toString());
            }
        });
    }

    /** On the controller thread: one write per broker in flight; a failed one is tried again by the next event. */
    private void write(int nodeId, MetadataCommand command) {
        if (!active || !writing.add(nodeId)) {
            return;
        }
        CompletableFuture<?> f;
        try {
            f = writer.apply(command);
        } catch (RuntimeException e) {
            writing.remove(nodeId);
            log.warn("Cannot write {}: {}", command, e.toString());
            return;
        }
        f.whenComplete((r, e) -> {
            writing.remove(nodeId);
            if (e != null) {
                log.warn("Cannot write {}: {}", command, e.toString());
            }
        });
    }

    @Override
    public void close() {
        active = false;
        thread.shutdownNow();
    }
}
