package dev.strata.broker.group;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Where the coordinator makes its state durable ({@code __consumer_offsets}). Offset commits, the frequent write, are
 * asynchronous: {@link #storeOffsets} appends and returns, and its future completes once the write is durable (every
 * in-sync replica has it), so no thread waits for replication. The other methods return once the write is durable, or
 * throw the Kafka error to answer with.
 */
public interface GroupStore {

    /**
     * Appends the offsets; the future completes with the log offset of the write once it is durable, or exceptionally
     * with the Kafka error ({@link org.apache.kafka.common.errors.ApiException}) to answer with. Two writes of one group
     * complete in any order; their log offsets tell which is the later one.
     */
    CompletableFuture<Long> storeOffsets(String groupId, Map<TopicPartition, CommittedOffset> offsets);

    /**
     * Appends the offsets of a producer's transaction as one transactional batch (its producer id and epoch), and hands
     * the log offset of the batch's last record to {@code appended} before returning; the future completes like
     * {@link #storeOffsets}'s.
     *
     * @throws org.apache.kafka.common.errors.ApiException when the append itself is refused (an older producer epoch
     *     than the partition knows: INVALID_PRODUCER_EPOCH; NOT_COORDINATOR; COORDINATOR_NOT_AVAILABLE)
     */
    CompletableFuture<Long> storeTxnOffsets(
            String groupId,
            long producerId,
            short producerEpoch,
            Map<TopicPartition, CommittedOffset> offsets,
            LongConsumer appended);

    void deleteOffsets(String groupId, Collection<TopicPartition> partitions);

    void storeGroup(GroupSnapshot group);

    void deleteGroup(String groupId);

    /** A store that keeps nothing, for tests of the membership logic. */
    GroupStore NONE = new GroupStore() {
        private final AtomicLong writes = new AtomicLong();

        @Override
        public CompletableFuture<Long> storeOffsets(String groupId, Map<TopicPartition, CommittedOffset> offsets) {
            return CompletableFuture.completedFuture(writes.getAndIncrement());
        }

        @Override
        public CompletableFuture<Long> storeTxnOffsets(
                String groupId,
                long producerId,
                short producerEpoch,
                Map<TopicPartition, CommittedOffset> offsets,
                LongConsumer appended) {
            long offset = writes.getAndIncrement();
            appended.accept(offset);
            return CompletableFuture.completedFuture(offset);
        }

        @Override
        public void deleteOffsets(String groupId, Collection<TopicPartition> partitions) {}

        @Override
        public void storeGroup(GroupSnapshot group) {}

        @Override
        public void deleteGroup(String groupId) {}
    };
}
