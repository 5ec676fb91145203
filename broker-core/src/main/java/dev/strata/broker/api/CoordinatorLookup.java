package dev.strata.broker.api;

import dev.strata.broker.metadata.TopicManager;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest;

/**
 * FindCoordinator for one kind of coordinator (groups, transactions): the coordinator of a key is the leader of the
 * key's partition of an internal topic, created on first use. Answers the single-key form (v0-v3) and the batched one
 * (v4+).
 */
final class CoordinatorLookup {
    /** The coordinator of a key, or the error to answer instead. */
    record Lookup(Errors error, BrokerEndpoint node) {
        static Lookup failed(Errors error) {
            return new Lookup(error, null);
        }
    }

    private CoordinatorLookup() {}

    /**
     * The leader of the key's partition, as the cluster image has it (this broker's own endpoint when it leads);
     * INVALID_REQUEST for an empty key, COORDINATOR_NOT_AVAILABLE while the partition has no leader.
     *
     * @param ensureExists creates the internal topic when it does not exist yet
     * @param coordinatorFor the node id leading the key's partition, -1 for none
     */
    static Lookup lookup(
            Supplier<BrokerEndpoint> self,
            TopicManager topics,
            Runnable ensureExists,
            ToIntFunction<String> coordinatorFor,
            String key) {
        if (key == null || key.isEmpty()) {
            return Lookup.failed(Errors.INVALID_REQUEST);
        }
        try {
            ensureExists.run();
        } catch (ApiException e) {
            return Lookup.failed(Errors.forException(e));
        }
        BrokerEndpoint me = self.get();
        int leader = coordinatorFor.applyAsInt(key);
        if (leader == me.nodeId()) {
            return new Lookup(Errors.NONE, me);
        }
        return topics.store()
                .cluster()
                .broker(leader)
                .map(b -> new Lookup(Errors.NONE, new BrokerEndpoint(b.nodeId(), b.host(), b.port(), me.clusterId())))
                .orElse(Lookup.failed(Errors.COORDINATOR_NOT_AVAILABLE));
    }

    /** The response: one coordinator per key (v4+), or the one key's (before v4). */
    static FindCoordinatorResponseData answer(
            FindCoordinatorRequest request, Function<String, Lookup> lookup, Function<Errors, String> errorMessage) {
        var data = request.data();
        if (request.version() < 4) {
            Lookup found = lookup.apply(data.key());
            FindCoordinatorResponseData r =
                    new FindCoordinatorResponseData().setErrorCode(found.error().code());
            if (found.error() == Errors.NONE) {
                r.setNodeId(found.node().nodeId())
                        .setHost(found.node().host())
                        .setPort(found.node().port())
                        .setErrorMessage(null);
            } else {
                r.setNodeId(-1).setHost("").setPort(-1).setErrorMessage(errorMessage.apply(found.error()));
            }
            return r;
        }
        FindCoordinatorResponseData r = new FindCoordinatorResponseData();
        for (String key : data.coordinatorKeys()) {
            Lookup found = lookup.apply(key);
            var c = new FindCoordinatorResponseData.Coordinator()
                    .setKey(key)
                    .setErrorCode(found.error().code());
            if (found.error() == Errors.NONE) {
                c.setNodeId(found.node().nodeId())
                        .setHost(found.node().host())
                        .setPort(found.node().port());
            } else {
                c.setNodeId(-1).setHost("").setPort(-1).setErrorMessage(errorMessage.apply(found.error()));
            }
            r.coordinators().add(c);
        }
        return r;
    }
}
