package dev.strata.broker.partition;

import dev.strata.broker.config.ReplicationConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * The fetcher threads of one broker: one {@link ReplicaFetcherThread} per leader broker it follows partitions of,
 * started when the first such partition comes and kept (idle) when the last goes. Called by the {@link ReplicaManager}
 * when partition states are applied, and at shutdown.
 */
final class ReplicaFetcherManager {

    private final int localBrokerId;
    private final LeaderEndpoint.Factory endpoints;
    private final ReplicaManager replicaManager;
    private final ReplicationConfig config;
    private final Time time;
    private final Map<Integer, ReplicaFetcherThread> threads = new HashMap<>();
    private boolean closed;

    ReplicaFetcherManager(
            int localBrokerId,
            LeaderEndpoint.Factory endpoints,
            ReplicaManager replicaManager,
            ReplicationConfig config,
            Time time) {
        this.localBrokerId = localBrokerId;
        this.endpoints = endpoints;
        this.replicaManager = replicaManager;
        this.config = config;
        this.time = time;
    }

    /** Starts fetching {@code tp} from {@code leaderId} in {@code leaderEpoch}, from wherever it fetched before. */
    synchronized void addPartition(TopicPartition tp, Uuid topicId, int leaderId, int leaderEpoch) {
        if (closed) {
            return;
        }
        removePartition(tp);
        threads.computeIfAbsent(leaderId, id -> {
                    ReplicaFetcherThread thread =
                            new ReplicaFetcherThread(localBrokerId, id, endpoints, replicaManager, config, time);
                    thread.start();
                    return thread;
                })
                .addPartition(tp, topicId, leaderEpoch);
    }

    /** Stops fetching {@code tp}; once this returns no fetched data of it is applied any more. */
    synchronized void removePartition(TopicPartition tp) {
        for (ReplicaFetcherThread thread : threads.values()) {
            thread.removePartition(tp);
        }
    }

    /** The leader {@code tp} is fetched from, or -1. */
    synchronized int fetchingFrom(TopicPartition tp) {
        for (ReplicaFetcherThread thread : threads.values()) {
            if (thread.fetches(tp)) {
                return thread.leaderId();
            }
        }
        return -1;
    }

    /** A broker's address changed: the fetcher from it reconnects. */
    synchronized void onBrokerChanged(int brokerId) {
        ReplicaFetcherThread thread = threads.get(brokerId);
        if (thread != null) {
            thread.reconnect();
        }
    }

    void shutdown() {
        List<ReplicaFetcherThread> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(threads.values());
            threads.clear();
        }
        for (ReplicaFetcherThread thread : all) {
            thread.shutdown();
        }
    }
}
