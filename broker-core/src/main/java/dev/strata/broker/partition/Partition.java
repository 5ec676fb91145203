package dev.strata.broker.partition;

import dev.strata.broker.log.LocalLog;
import dev.strata.broker.log.LogAppendInfo;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.record.internal.MemoryRecords;

/**
 * One partition this broker leads: its log, its leader epoch, its in-sync replica set and the high watermark. On a
 * single broker the ISR is this broker alone and the high watermark follows the log end; followers plug in here by
 * growing the ISR and moving the high watermark to the smallest log end offset among the in-sync replicas.
 */
public final class Partition {
    private final TopicPartition topicPartition;
    private final Uuid topicId;
    private final LocalLog log;
    private final int localBrokerId;
    private volatile int leaderEpoch;
    private volatile Set<Integer> isr;

    public Partition(TopicPartition topicPartition, Uuid topicId, LocalLog log, int localBrokerId, int leaderEpoch) {
        this.topicPartition = topicPartition;
        this.topicId = topicId;
        this.log = log;
        this.localBrokerId = localBrokerId;
        this.leaderEpoch = leaderEpoch;
        this.isr = Set.of(localBrokerId);
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

    public int leaderId() {
        return localBrokerId;
    }

    public int leaderEpoch() {
        return leaderEpoch;
    }

    public Set<Integer> isr() {
        return isr;
    }

    /**
     * Appends a producer's records as leader.
     *
     * @param requiredAcks -1 requires at least {@code min.insync.replicas} in-sync replicas before anything is written
     */
    public LogAppendInfo appendAsLeader(MemoryRecords records, short requiredAcks) {
        int minIsr = log.config().minInSyncReplicas();
        if (requiredAcks == -1 && isr.size() < minIsr) {
            throw new NotEnoughReplicasException("The ISR of " + topicPartition + " has " + isr.size()
                    + " replica(s), fewer than min.insync.replicas=" + minIsr);
        }
        LogAppendInfo info = log.appendAsLeader(records, leaderEpoch);
        maybeAdvanceHighWatermark();
        return info;
    }

    /** With this broker as the only in-sync replica, everything written is committed. */
    private void maybeAdvanceHighWatermark() {
        long leo = log.logEndOffset();
        if (leo > log.highWatermark()) {
            log.updateHighWatermark(leo);
        }
    }
}
