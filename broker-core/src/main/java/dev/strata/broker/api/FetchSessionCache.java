package dev.strata.broker.api;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchRequestData.ForgottenTopic;
import org.apache.kafka.common.protocol.Errors;

/**
 * The broker's incremental fetch sessions (KIP-227), at most {@code max.incremental.fetch.session.cache.slots} of
 * them, and the decision, for each fetch request, of how it is answered ({@link #newContext}):
 *
 * <ul>
 *   <li>sessionless (response session id 0, every partition): fetch versions before 7, a follower's fetch, and a
 *       request with epoch -1 (FINAL), which also closes the session it names;
 *   <li>full, creating a session when a slot is free or one can be evicted: epoch 0 (INITIAL), which closes the
 *       session it names first; without a slot it is answered sessionless;
 *   <li>incremental: a session's id with its next epoch; the request holds only the added and altered partitions and
 *       the forgotten ones, the response only the partitions with news ({@link FetchSession#filter});
 *   <li>an error with no partitions: {@code FETCH_SESSION_ID_NOT_FOUND} for an unknown session,
 *       {@code INVALID_FETCH_SESSION_EPOCH} for an epoch other than the session's next one,
 *       {@code FETCH_SESSION_TOPIC_ID_ERROR} for a request by topic name (before v13) on a session by topic id or the
 *       reverse.
 * </ul>
 *
 * <p>Eviction, when every slot is taken, is Kafka's: first the least recently used session idle for
 * {@link #EVICTION_MS}; else the least valuable session (an unprivileged one before a privileged one, then the one
 * with fewer partitions), and only if the new session is worth more than it. Followers would be privileged, but they
 * use full fetches in Strata, so every session here is a consumer's. An incremental request that forgets its last
 * partition ends its session.
 *
 * <p>Thread-safe: the map under the cache's lock, each session under its own (a session's lock may be held when the
 * cache's is taken, never the reverse). Nothing here blocks or does I/O.
 */
public final class FetchSessionCache {

    /** How long a session is idle before any new session may take its slot (Kafka's 120 s). */
    static final long EVICTION_MS = 120_000;

    private final int slots;
    private final LongSupplier clockMs;
    /** In access order: the first entry is the least recently used session. */
    private final LinkedHashMap<Integer, FetchSession> sessions = new LinkedHashMap<>(16, 0.75f, true);

    private final AtomicLong evictions = new AtomicLong();

    /**
     * @param slots {@code max.incremental.fetch.session.cache.slots}: the most sessions at once (0: none)
     * @param clockMs the time in milliseconds
     */
    public FetchSessionCache(int slots, LongSupplier clockMs) {
        this.slots = slots;
        this.clockMs = clockMs;
    }

    /** The sessions in the cache ({@code NumIncrementalFetchSessions} in Kafka). */
    public synchronized int size() {
        return sessions.size();
    }

    /** The sessions evicted to make room for another ({@code IncrementalFetchSessionEvictionsPerSec}). */
    public long evictions() {
        return evictions.get();
    }

    /** How a fetch request is answered; {@code follower} for a fetch with a replica id, which stays sessionless. */
    FetchContext newContext(short version, FetchRequestData request, boolean follower) {
        int sessionId = request.sessionId();
        int epoch = request.sessionEpoch();
        if (version < 7 || follower) {
            return FetchContext.sessionless(request);
        }
        if (epoch == 0 || epoch == -1) {
            if (sessionId != 0) {
                remove(sessionId);
            }
            return epoch == -1 ? FetchContext.sessionless(request) : FetchContext.full(request, this, version >= 13);
        }
        FetchSession session;
        synchronized (this) {
            session = sessions.get(sessionId);
        }
        if (session == null) {
            return FetchContext.error(Errors.FETCH_SESSION_ID_NOT_FOUND);
        }
        synchronized (session) {
            if (session.epoch() != epoch) {
                return FetchContext.error(Errors.INVALID_FETCH_SESSION_EPOCH);
            }
            if (session.usesTopicIds() != version >= 13) {
                return FetchContext.error(Errors.FETCH_SESSION_TOPIC_ID_ERROR);
            }
            Map<FetchSession.Key, FetchPartition> changed = new LinkedHashMap<>();
            for (FetchTopic topic : request.topics()) {
                for (FetchPartition p : topic.partitions()) {
                    changed.put(new FetchSession.Key(topic.topic(), topic.topicId(), p.partition()), p);
                }
            }
            List<FetchSession.Key> forgotten = new ArrayList<>();
            for (ForgottenTopic topic : request.forgottenTopicsData()) {
                for (int p : topic.partitions()) {
                    forgotten.add(new FetchSession.Key(topic.topic(), topic.topicId(), p));
                }
            }
            session.update(changed, forgotten);
            if (session.size() == 0) {
                remove(sessionId);
                return FetchContext.sessionless(request);
            }
            session.advance(clockMs.getAsLong());
        }
        return FetchContext.incremental(session);
    }

    /**
     * A new session for a full fetch of {@code partitions} partitions, in a free slot or one taken by eviction; null
     * when there is none (the fetch is then answered sessionless).
     */
    synchronized FetchSession create(boolean privileged, boolean usesTopicIds, int partitions) {
        if (slots <= 0) {
            return null;
        }
        long now = clockMs.getAsLong();
        if (sessions.size() >= slots && !evictFor(privileged, partitions, now)) {
            return null;
        }
        int id;
        do {
            id = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
        } while (sessions.containsKey(id));
        FetchSession session = new FetchSession(id, privileged, usesTopicIds, now);
        sessions.put(id, session);
        return session;
    }

    /** Closes a session; whether it was there. */
    synchronized boolean remove(int sessionId) {
        return sessions.remove(sessionId) != null;
    }

    private boolean evictFor(boolean privileged, int partitions, long now) {
        Iterator<FetchSession> lru = sessions.values().iterator();
        FetchSession oldest = lru.next();
        if (oldest.lastUsedMs() <= now - EVICTION_MS) {
            return evict(oldest);
        }
        FetchSession least = null;
        for (FetchSession s : sessions.values()) {
            if (least == null || compareValue(s.privileged(), s.size(), least.privileged(), least.size()) < 0) {
                least = s;
            }
        }
        return compareValue(privileged, partitions, least.privileged(), least.size()) > 0 && evict(least);
    }

    private boolean evict(FetchSession session) {
        sessions.remove(session.id());
        evictions.incrementAndGet();
        return true;
    }

    private static int compareValue(boolean privilegedA, int sizeA, boolean privilegedB, int sizeB) {
        int c = Boolean.compare(privilegedA, privilegedB);
        return c != 0 ? c : Integer.compare(sizeA, sizeB);
    }
}
