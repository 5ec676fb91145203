package dev.strata.broker.api;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.Errors;

/**
 * One incremental fetch session (KIP-227): the partitions a consumer fetches, with the fetch parameters it last sent
 * for each and the high watermark, last stable offset and log start offset it was last told. A request of the session
 * names only what changed; its response holds only the partitions with records or with news ({@link #filter}).
 *
 * <p>Partitions are kept in the order they are fetched; a partition that goes into a response moves to the end, so
 * that partitions cut off by the response's byte limit come first next time (as Kafka does). Every method runs under
 * the session's lock: a consumer has one fetch in flight, but a late response and the next request may overlap.
 */
final class FetchSession {

    /** A partition of a session: by topic name before fetch v13, by topic id from v13 (the other field empty). */
    record Key(String topic, Uuid topicId, int partition) {}

    /** What the session knows of one partition. */
    static final class CachedPartition {
        private FetchPartition request;
        private long highWatermark = -1;
        private long lastStableOffset = -1;
        private long logStartOffset = -1;

        CachedPartition(FetchPartition request) {
            this.request = request;
        }

        FetchPartition request() {
            return request;
        }

        /**
         * Whether {@code data} must go into an incremental response: it has records, an error, a preferred replica or
         * a diverging epoch, or its high watermark, last stable offset or log start offset moved since the client was
         * last told (which it now is). After an error the high watermark is forgotten, so the partition is sent again
         * once the error is gone.
         */
        boolean mustRespond(PartitionData data) {
            boolean must = data.records() != null && data.records().sizeInBytes() > 0;
            if (highWatermark != data.highWatermark()) {
                highWatermark = data.highWatermark();
                must = true;
            }
            if (lastStableOffset != data.lastStableOffset()) {
                lastStableOffset = data.lastStableOffset();
                must = true;
            }
            if (logStartOffset != data.logStartOffset()) {
                logStartOffset = data.logStartOffset();
                must = true;
            }
            if (data.preferredReadReplica() >= 0 || data.divergingEpoch().epoch() >= 0) {
                must = true;
            }
            if (data.errorCode() != Errors.NONE.code()) {
                highWatermark = -1;
                must = true;
            }
            return must;
        }
    }

    private final int id;
    private final boolean privileged;
    private final boolean usesTopicIds;
    private final LinkedHashMap<Key, CachedPartition> partitions = new LinkedHashMap<>();
    private int epoch = 1;
    /** Read without the session's lock by the cache, which holds its own: never take both the other way round. */
    private volatile long lastUsedMs;

    private volatile int size;

    FetchSession(int id, boolean privileged, boolean usesTopicIds, long nowMs) {
        this.id = id;
        this.privileged = privileged;
        this.usesTopicIds = usesTopicIds;
        this.lastUsedMs = nowMs;
    }

    int id() {
        return id;
    }

    boolean privileged() {
        return privileged;
    }

    boolean usesTopicIds() {
        return usesTopicIds;
    }

    synchronized int epoch() {
        return epoch;
    }

    long lastUsedMs() {
        return lastUsedMs;
    }

    int size() {
        return size;
    }

    /** Moves the session to its next epoch (after 2^31-1 it wraps to 1, as the client's does) at {@code nowMs}. */
    synchronized void advance(long nowMs) {
        epoch = epoch == Integer.MAX_VALUE ? 1 : epoch + 1;
        lastUsedMs = nowMs;
    }

    /** Adds a partition of the full fetch that created the session, with what its response told the client. */
    synchronized void add(Key key, FetchPartition request, PartitionData told) {
        CachedPartition cached = new CachedPartition(request);
        cached.mustRespond(told);
        partitions.put(key, cached);
        size = partitions.size();
    }

    /** Applies an incremental request: added and altered partitions, then the forgotten ones. */
    synchronized void update(Map<Key, FetchPartition> changed, List<Key> forgotten) {
        changed.forEach((key, request) -> {
            CachedPartition cached = partitions.get(key);
            if (cached == null) {
                partitions.put(key, new CachedPartition(request));
            } else {
                cached.request = request;
            }
        });
        forgotten.forEach(partitions::remove);
        size = partitions.size();
    }

    /** The partitions to read, in the session's order, with the fetch parameters last sent for each. */
    synchronized List<Map.Entry<Key, FetchPartition>> toFetch() {
        List<Map.Entry<Key, FetchPartition>> out = new ArrayList<>(partitions.size());
        partitions.forEach((key, cached) -> out.add(Map.entry(key, cached.request)));
        return out;
    }

    /**
     * Turns the response of a read of every session partition into the incremental response: drops each partition
     * with nothing new for the client and each topic left empty, and moves the partitions sent to the session's end.
     */
    synchronized FetchResponseData filter(FetchResponseData full) {
        List<Key> sent = new ArrayList<>();
        Iterator<FetchableTopicResponse> topics = full.responses().iterator();
        while (topics.hasNext()) {
            FetchableTopicResponse topic = topics.next();
            topic.partitions().removeIf(data -> {
                Key key = new Key(topic.topic(), topic.topicId(), data.partitionIndex());
                CachedPartition cached = partitions.get(key);
                if (cached != null && cached.mustRespond(data)) {
                    sent.add(key);
                    return false;
                }
                return cached != null;
            });
            if (topic.partitions().isEmpty()) {
                topics.remove();
            }
        }
        for (Key key : sent) {
            partitions.put(key, partitions.remove(key));
        }
        return full.setSessionId(id);
    }
}
