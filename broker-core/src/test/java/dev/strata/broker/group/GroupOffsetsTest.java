package dev.strata.broker.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NotCoordinatorException;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

/** Offset commits complete when the store says the write is durable, in whatever order the writes complete. */
class GroupOffsetsTest {
    private static final TopicPartition TP = new TopicPartition("orders", 0);

    /** A store whose writes complete when the test says so; the n-th write has log offset n. */
    private static final class PendingStore implements GroupStore {
        final List<CompletableFuture<Long>> writes = new ArrayList<>();

        @Override
        public CompletableFuture<Long> storeOffsets(String groupId, Map<TopicPartition, CommittedOffset> offsets) {
            CompletableFuture<Long> write = new CompletableFuture<>();
            writes.add(write);
            return write;
        }

        @Override
        public CompletableFuture<Long> storeTxnOffsets(
                String groupId,
                long producerId,
                short producerEpoch,
                Map<TopicPartition, CommittedOffset> offsets,
                LongConsumer appended) {
            appended.accept(writes.size());
            return storeOffsets(groupId, offsets);
        }

        void complete(int n) {
            writes.get(n).complete((long) n);
        }

        @Override
        public void deleteOffsets(String groupId, Collection<TopicPartition> partitions) {
            GroupStore.NONE.deleteOffsets(groupId, partitions);
        }

        @Override
        public void storeGroup(GroupSnapshot group) {
            GroupStore.NONE.storeGroup(group);
        }

        @Override
        public void deleteGroup(String groupId) {
            GroupStore.NONE.deleteGroup(groupId);
        }
    }

    private final PendingStore store = new PendingStore();
    private final GroupOffsets offsets = new GroupOffsets(store);

    private static Map<TopicPartition, CommittedOffset> at(long offset) {
        return Map.of(TP, new CommittedOffset(offset, 0, "", 1_000L));
    }

    @Test
    void aCommitIsVisibleOnlyOnceStored() {
        CompletableFuture<Errors> answer = offsets.commit("g", at(10));

        assertThat(answer).isNotDone();
        assertThat(offsets.committed("g", null)).isEmpty();
        store.complete(0);
        assertThat(answer.join()).isEqualTo(Errors.NONE);
        assertThat(offsets.committed("g", null).get(TP).offset()).isEqualTo(10);
    }

    @Test
    void anEarlierWriteCompletingLastDoesNotReplaceALaterOne() {
        CompletableFuture<Errors> first = offsets.commit("g", at(10));
        CompletableFuture<Errors> second = offsets.commit("g", at(20));

        store.complete(1);
        store.complete(0);

        assertThat(first.join()).isEqualTo(Errors.NONE);
        assertThat(second.join()).isEqualTo(Errors.NONE);
        assertThat(offsets.committed("g", null).get(TP).offset())
                .as("the log replays 20 last, so 20 is what the group has")
                .isEqualTo(20);
    }

    @Test
    void aFailedWriteAnswersItsErrorAndChangesNothing() {
        offsets.commit("g", at(10));
        store.complete(0);
        CompletableFuture<Errors> failed = offsets.commit("g", at(20));

        store.writes.get(1).completeExceptionally(new NotCoordinatorException("moved"));

        assertThat(failed.join()).isEqualTo(Errors.NOT_COORDINATOR);
        assertThat(offsets.committed("g", null).get(TP).offset()).isEqualTo(10);
    }

    @Test
    void transactionalOffsetsCountOnlyOnceTheirTransactionCommits() {
        CompletableFuture<Errors> answer = offsets.commitTransactional("g", 7L, (short) 0, at(10));
        assertThat(offsets.isPending("g", TP)).as("pending from the append on").isTrue();
        store.complete(0);

        assertThat(answer.join()).isEqualTo(Errors.NONE);
        assertThat(offsets.committed("g", null)).isEmpty();

        offsets.completeTransaction(7L, true, 1L, g -> true);
        assertThat(offsets.committed("g", null).get(TP).offset()).isEqualTo(10);
        assertThat(offsets.isPending("g", TP)).isFalse();
    }

    @Test
    void anAbortedTransactionLeavesTheCommittedOffset() {
        offsets.commit("g", at(5));
        store.complete(0);
        offsets.commitTransactional("g", 7L, (short) 0, at(10));
        store.complete(1);

        offsets.completeTransaction(7L, false, 2L, g -> true);

        assertThat(offsets.committed("g", null).get(TP).offset()).isEqualTo(5);
        assertThat(offsets.isPending("g", TP)).isFalse();
    }

    @Test
    void aCommitWrittenAfterThePendingOffsetIsNotReplacedByIt() {
        offsets.commitTransactional("g", 7L, (short) 0, at(10));
        store.complete(0);
        offsets.commit("g", at(20));
        store.complete(1);

        offsets.completeTransaction(7L, true, 2L, g -> true);

        assertThat(offsets.committed("g", null).get(TP).offset()).isEqualTo(20);
    }

    @Test
    void pendingOffsetsDoNotExpire() {
        offsets.commit("g", at(5));
        store.complete(0);
        offsets.commitTransactional("g", 7L, (short) 0, at(10));

        assertThat(offsets.expired("g", Long.MAX_VALUE / 2, 1_000L)).isEmpty();
        offsets.completeTransaction(7L, false, 2L, g -> true);
        assertThat(offsets.expired("g", Long.MAX_VALUE / 2, 1_000L)).containsExactly(TP);
    }
}
