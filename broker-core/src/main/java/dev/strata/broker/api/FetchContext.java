package dev.strata.broker.api;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.Errors;

/**
 * How one fetch request is answered, as {@link FetchSessionCache#newContext} decided: which partitions to read
 * ({@link #topics}), and what the response made of reading them becomes ({@link #complete}).
 */
sealed interface FetchContext {

    /** The partitions to read, by topic, in order; empty for an error. */
    List<FetchTopic> topics();

    /** The response to send, given the response of reading {@link #topics}. */
    FetchResponseData complete(FetchResponseData read);

    /** The session error to answer with, no partitions; else {@code NONE}. */
    default Errors error() {
        return Errors.NONE;
    }

    static FetchContext sessionless(FetchRequestData request) {
        return new Sessionless(request.topics());
    }

    static FetchContext full(FetchRequestData request, FetchSessionCache cache, boolean usesTopicIds) {
        return new Full(request.topics(), cache, usesTopicIds);
    }

    static FetchContext incremental(FetchSession session) {
        List<FetchTopic> topics = new ArrayList<>();
        FetchTopic current = null;
        for (Map.Entry<FetchSession.Key, FetchPartition> e : session.toFetch()) {
            FetchSession.Key key = e.getKey();
            if (current == null
                    || !current.topic().equals(key.topic())
                    || !current.topicId().equals(key.topicId())) {
                current = new FetchTopic().setTopic(key.topic()).setTopicId(key.topicId());
                topics.add(current);
            }
            current.partitions().add(e.getValue());
        }
        return new Incremental(topics, session);
    }

    static FetchContext error(Errors error) {
        return new SessionError(error);
    }

    /** Every partition, session id 0: no session is kept. */
    record Sessionless(List<FetchTopic> topics) implements FetchContext {
        @Override
        public FetchResponseData complete(FetchResponseData read) {
            return read.setSessionId(0);
        }
    }

    /** Every partition; a new session holds them when the cache has a slot for it, else session id 0. */
    record Full(List<FetchTopic> topics, FetchSessionCache cache, boolean usesTopicIds) implements FetchContext {
        @Override
        public FetchResponseData complete(FetchResponseData read) {
            int count = topics.stream().mapToInt(t -> t.partitions().size()).sum();
            FetchSession session = cache.create(false, usesTopicIds, count);
            if (session == null) {
                return read.setSessionId(0);
            }
            Map<FetchSession.Key, FetchPartition> requested = new HashMap<>();
            for (FetchTopic t : topics) {
                for (FetchPartition p : t.partitions()) {
                    requested.put(new FetchSession.Key(t.topic(), t.topicId(), p.partition()), p);
                }
            }
            for (FetchableTopicResponse t : read.responses()) {
                for (PartitionData data : t.partitions()) {
                    FetchSession.Key key = new FetchSession.Key(t.topic(), t.topicId(), data.partitionIndex());
                    FetchPartition request = requested.get(key);
                    if (request != null) {
                        session.add(key, request, data);
                    }
                }
            }
            return read.setSessionId(session.id());
        }
    }

    /** The session's partitions; only those with news go into the response. */
    record Incremental(List<FetchTopic> topics, FetchSession session) implements FetchContext {
        @Override
        public FetchResponseData complete(FetchResponseData read) {
            return session.filter(read);
        }
    }

    /** A session error: no partitions, session id 0. */
    record SessionError(Errors error) implements FetchContext {
        @Override
        public List<FetchTopic> topics() {
            return List.of();
        }

        @Override
        public FetchResponseData complete(FetchResponseData read) {
            return new FetchResponseData().setErrorCode(error.code()).setSessionId(0);
        }
    }
}
