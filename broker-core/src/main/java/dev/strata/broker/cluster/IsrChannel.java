package dev.strata.broker.cluster;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;

/**
 * A partition leader's request to change its in-sync replicas (Kafka's AlterPartition): the controller applies it only
 * if the leader epoch and partition epoch still match the current state, and only ever to replicas of the partition
 * that are not fenced. The future completes with the new state once it is committed, or fails with
 * {@code FencedLeaderEpochException} / {@code InvalidUpdateVersionException} (the leader's view is stale: it waits for
 * the newer state to reach it), {@code InvalidRequestException}, or a retriable exception when there is no quorum.
 */
public interface IsrChannel {

    CompletableFuture<PartitionState> alterIsr(
            TopicPartition tp, int leaderId, int leaderEpoch, int partitionEpoch, List<Integer> newIsr);
}
