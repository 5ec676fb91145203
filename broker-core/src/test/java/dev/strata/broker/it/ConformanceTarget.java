package dev.strata.broker.it;

import java.io.IOException;
import java.util.Map;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;

/**
 * One broker of {@link KafkaConformanceIT} as its scenarios see it: where it listens, the API versions every request
 * is sent at (the same on both brokers, the highest both support, so a difference is never a difference of versions),
 * the ids it gave the prepared topics, and the member it holds in the prepared classic group.
 */
record ConformanceTarget(
        String name, int port, Map<ApiKeys, Short> versions, Map<String, Uuid> topicIds, GroupMember member) {

    /** A member of a stable classic group: joined and synced, with a long session. */
    record GroupMember(String groupId, String memberId, int generation) {}

    /** Sends {@code request} on a fresh connection at the common version of its API. */
    <R extends AbstractResponse> R send(AbstractRequest.Builder<?> request) throws IOException {
        return send(request, version(request.apiKey()));
    }

    /**
     * Sends {@code request} at the common version of its API, but at most {@code newest}: for the APIs whose newer
     * versions name topics by id only, where the scenario means the topic's name.
     */
    <R extends AbstractResponse> R sendAtMost(AbstractRequest.Builder<?> request, int newest) throws IOException {
        return send(request, (short) Math.min(newest, version(request.apiKey())));
    }

    @SuppressWarnings("unchecked")
    private <R extends AbstractResponse> R send(AbstractRequest.Builder<?> request, short version) throws IOException {
        try (KafkaWire wire = KafkaWire.connect(port)) {
            return (R) wire.send(request, version);
        }
    }

    short version(ApiKeys key) {
        Short version = versions.get(key);
        if (version == null) {
            throw new AssertionError(key + " is not offered by both brokers");
        }
        return version;
    }

    Uuid topicId(String topic) {
        Uuid id = topicIds.get(topic);
        if (id == null) {
            throw new AssertionError(name + " has no id for topic " + topic);
        }
        return id;
    }

    ConformanceTarget withTopicIds(Map<String, Uuid> ids) {
        return new ConformanceTarget(name, port, versions, Map.copyOf(ids), member);
    }

    ConformanceTarget withMember(GroupMember m) {
        return new ConformanceTarget(name, port, versions, topicIds, m);
    }

    @Override
    public String toString() {
        return name;
    }
}
