package dev.strata.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchRequestData.ForgottenTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;

class FetchSessionCacheTest {

    private static final Uuid TOPIC = Uuid.randomUuid();
    private static final short V = 17;

    private final AtomicLong now = new AtomicLong(1_000_000);

    private static FetchRequestData request(int sessionId, int epoch, int... partitions) {
        FetchTopic topic = new FetchTopic().setTopicId(TOPIC);
        for (int p : partitions) {
            topic.partitions().add(new FetchPartition().setPartition(p).setFetchOffset(10));
        }
        return new FetchRequestData()
                .setSessionId(sessionId)
                .setSessionEpoch(epoch)
                .setTopics(partitions.length == 0 ? List.of() : List.of(topic));
    }

    /** What a read of {@code ctx}'s partitions answers: high watermark {@code hw}, records for {@code withData}. */
    private static FetchResponseData read(FetchContext ctx, long hw, int... withData) {
        FetchResponseData response = new FetchResponseData();
        for (FetchTopic t : ctx.topics()) {
            FetchableTopicResponse tr =
                    new FetchableTopicResponse().setTopic(t.topic()).setTopicId(t.topicId());
            for (FetchPartition p : t.partitions()) {
                boolean data = false;
                for (int d : withData) {
                    data |= d == p.partition();
                }
                tr.partitions()
                        .add(new PartitionData()
                                .setPartitionIndex(p.partition())
                                .setHighWatermark(hw)
                                .setLastStableOffset(hw)
                                .setLogStartOffset(0)
                                .setRecords(
                                        data
                                                ? MemoryRecords.withRecords(
                                                        org.apache.kafka.common.compress.Compression.NONE,
                                                        new SimpleRecord("v".getBytes()))
                                                : MemoryRecords.EMPTY));
            }
            response.responses().add(tr);
        }
        return response;
    }

    private static List<Integer> partitions(FetchResponseData response) {
        return response.responses().stream()
                .flatMap(t -> t.partitions().stream())
                .map(PartitionData::partitionIndex)
                .toList();
    }

    private FetchSessionCache cache(int slots) {
        return new FetchSessionCache(slots, now::get);
    }

    /** Opens a session of the given partitions, all at high watermark 10; its id. */
    private static int open(FetchSessionCache cache, int... partitions) {
        FetchContext full = cache.newContext(V, request(0, 0, partitions), false);
        FetchResponseData response = full.complete(read(full, 10));
        assertThat(partitions(response)).hasSize(partitions.length);
        return response.sessionId();
    }

    @Test
    void anInitialFetchCreatesASessionAndAnIdleIncrementalFetchAnswersNoPartitions() {
        FetchSessionCache cache = cache(10);
        int id = open(cache, 0, 1, 2);
        assertThat(id).isNotZero();
        assertThat(cache.size()).isEqualTo(1);

        FetchContext next = cache.newContext(V, request(id, 1), false);
        assertThat(next.topics().get(0).partitions())
                .as("every partition of the session is read")
                .hasSize(3);
        FetchResponseData response = next.complete(read(next, 10));
        assertThat(response.sessionId()).isEqualTo(id);
        assertThat(response.responses()).isEmpty();
    }

    @Test
    void anIncrementalFetchAnswersOnlyPartitionsWithRecordsOrAMovedHighWatermark() {
        FetchSessionCache cache = cache(10);
        int id = open(cache, 0, 1, 2);
        FetchContext next = cache.newContext(V, request(id, 1), false);
        assertThat(partitions(next.complete(read(next, 10, 1)))).containsExactly(1);

        FetchContext third = cache.newContext(V, request(id, 2), false);
        assertThat(partitions(third.complete(read(third, 11))))
                .as("the high watermark moved everywhere; the partition just sent went to the end")
                .containsExactly(0, 2, 1);
        FetchContext fourth = cache.newContext(V, request(id, 3), false);
        assertThat(partitions(fourth.complete(read(fourth, 11)))).isEmpty();
    }

    @Test
    void aPartitionInErrorIsAnsweredAndSentAgainOnceTheErrorIsGone() {
        FetchSessionCache cache = cache(10);
        int id = open(cache, 0, 1);
        FetchContext next = cache.newContext(V, request(id, 1), false);
        FetchResponseData failed = read(next, 10);
        failed.responses().get(0).partitions().get(0).setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
        assertThat(partitions(next.complete(failed))).containsExactly(0);
        FetchContext healed = cache.newContext(V, request(id, 2), false);
        assertThat(partitions(healed.complete(read(healed, 10)))).containsExactly(0);
    }

    @Test
    void addedAlteredAndForgottenPartitionsChangeTheSession() {
        FetchSessionCache cache = cache(10);
        int id = open(cache, 0, 1);
        FetchRequestData change = request(id, 1, 1, 5);
        change.topics().get(0).partitions().get(0).setFetchOffset(42);
        change.forgottenTopicsData().add(new ForgottenTopic().setTopicId(TOPIC).setPartitions(List.of(0)));
        FetchContext next = cache.newContext(V, change, false);
        List<FetchPartition> read = next.topics().get(0).partitions();
        assertThat(read).extracting(FetchPartition::partition).containsExactly(1, 5);
        assertThat(read.get(0).fetchOffset()).as("the altered fetch offset").isEqualTo(42);
        assertThat(partitions(next.complete(read(next, 10))))
                .as("only the new partition")
                .containsExactly(5);
    }

    @Test
    void forgettingEveryPartitionEndsTheSession() {
        FetchSessionCache cache = cache(10);
        int id = open(cache, 0);
        FetchRequestData forget = request(id, 1);
        forget.forgottenTopicsData().add(new ForgottenTopic().setTopicId(TOPIC).setPartitions(List.of(0)));
        FetchContext next = cache.newContext(V, forget, false);
        assertThat(next).isInstanceOf(FetchContext.Sessionless.class);
        assertThat(cache.size()).isZero();
    }

    @Test
    void anUnknownSessionIsFetchSessionIdNotFound() {
        FetchContext ctx = cache(10).newContext(V, request(12345, 1, 0), false);
        assertThat(ctx.error()).isEqualTo(Errors.FETCH_SESSION_ID_NOT_FOUND);
        FetchResponseData response = ctx.complete(null);
        assertThat(response.errorCode()).isEqualTo(Errors.FETCH_SESSION_ID_NOT_FOUND.code());
        assertThat(response.responses()).isEmpty();
        assertThat(response.sessionId()).isZero();
    }

    @Test
    void aWrongEpochIsInvalidFetchSessionEpoch() {
        FetchSessionCache cache = cache(10);
        int id = open(cache, 0);
        assertThat(cache.newContext(V, request(id, 2), false).error()).isEqualTo(Errors.INVALID_FETCH_SESSION_EPOCH);
        assertThat(cache.newContext(V, request(id, 1), false).error())
                .as("the session is kept")
                .isEqualTo(Errors.NONE);
    }

    @Test
    void aSessionByTopicIdFetchedByNameIsFetchSessionTopicIdError() {
        FetchSessionCache cache = cache(10);
        int id = open(cache, 0);
        assertThat(cache.newContext((short) 12, request(id, 1), false).error())
                .isEqualTo(Errors.FETCH_SESSION_TOPIC_ID_ERROR);
    }

    @Test
    void theFinalEpochClosesTheSessionAndAnswersSessionless() {
        FetchSessionCache cache = cache(10);
        int id = open(cache, 0);
        FetchContext last = cache.newContext(V, request(id, -1, 0), false);
        assertThat(last).isInstanceOf(FetchContext.Sessionless.class);
        assertThat(last.complete(read(last, 10)).sessionId()).isZero();
        assertThat(cache.size()).isZero();
    }

    @Test
    void anInitialFetchNamingASessionClosesItAndOpensANewOne() {
        FetchSessionCache cache = cache(10);
        int id = open(cache, 0);
        FetchContext again = cache.newContext(V, request(id, 0, 0, 1), false);
        int second = again.complete(read(again, 10)).sessionId();
        assertThat(second).isNotZero().isNotEqualTo(id);
        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void followersAndOldVersionsStaySessionless() {
        FetchSessionCache cache = cache(10);
        assertThat(cache.newContext(V, request(0, 0, 0), true)).isInstanceOf(FetchContext.Sessionless.class);
        assertThat(cache.newContext((short) 6, request(0, 0, 0), false)).isInstanceOf(FetchContext.Sessionless.class);
    }

    @Test
    void withoutAFreeSlotAFetchIsSessionlessUntilASessionIsIdleLongEnoughToEvict() {
        FetchSessionCache cache = cache(2);
        int first = open(cache, 0, 1);
        open(cache, 0, 1);
        assertThat(open(cache, 0, 1))
                .as("no slot, an equal session does not evict")
                .isZero();
        assertThat(cache.evictions()).isZero();

        now.addAndGet(FetchSessionCache.EVICTION_MS - 1);
        cache.newContext(V, request(first, 1), false); // first is used again: the other is now the LRU one
        now.addAndGet(2);
        assertThat(open(cache, 0, 1)).isNotZero();
        assertThat(cache.evictions()).isEqualTo(1);
        assertThat(cache.newContext(V, request(first, 2), false).error())
                .as("the least recently used session went, not the one just used")
                .isEqualTo(Errors.NONE);
    }

    @Test
    void aLargerSessionEvictsTheSmallestWhenNoneIsIdle() {
        FetchSessionCache cache = cache(2);
        int small = open(cache, 0);
        int large = open(cache, 0, 1, 2);
        int larger = open(cache, 0, 1, 2, 3);
        assertThat(larger).isNotZero();
        assertThat(cache.evictions()).isEqualTo(1);
        assertThat(cache.newContext(V, request(small, 1), false).error()).isEqualTo(Errors.FETCH_SESSION_ID_NOT_FOUND);
        assertThat(cache.newContext(V, request(large, 1), false).error()).isEqualTo(Errors.NONE);
    }

    @Test
    void noSlotsMeansNoSessions() {
        assertThat(open(cache(0), 0, 1)).isZero();
    }
}
