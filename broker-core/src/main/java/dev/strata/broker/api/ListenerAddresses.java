package dev.strata.broker.api;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.ListenerEndpoint;
import dev.strata.broker.network.RequestContext;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/**
 * Kafka's rule that a client is told the addresses of the listener it connected to. The handlers name brokers by
 * their registered address (their inter-broker listener's); this rewrites every broker in Metadata, DescribeCluster
 * and FindCoordinator answers to its registered endpoint on the request's listener, as Kafka's metadata cache
 * answers by listener name:
 *
 * <ul>
 *   <li>a broker without that listener is left out of the brokers a client is told of;
 *   <li>a partition it leads answers LISTENER_NOT_FOUND (LEADER_NOT_AVAILABLE before Metadata v6) with no leader;
 *   <li>a coordinator on it answers COORDINATOR_NOT_AVAILABLE.
 * </ul>
 *
 * <p>This broker's own endpoints are known as soon as its listeners are bound, before its registration carrying
 * them is applied. A broker registered without endpoints (before brokers registered their listeners) keeps its one
 * address for every listener.
 */
public final class ListenerAddresses {

    private final int nodeId;
    private final IntFunction<Optional<ClusterBroker>> brokers;
    private volatile Map<String, ListenerEndpoint> own = Map.of();

    /** @param brokers the registered brokers by node id */
    public ListenerAddresses(int nodeId, IntFunction<Optional<ClusterBroker>> brokers) {
        this.nodeId = nodeId;
        this.brokers = brokers;
    }

    /** This broker's advertised endpoints, known once every listener is bound. */
    public void advertise(List<ListenerEndpoint> endpoints) {
        this.own = endpoints.stream().collect(Collectors.toUnmodifiableMap(ListenerEndpoint::listener, e -> e));
    }

    /**
     * Where a client on {@code listener} reaches {@code brokerId}: empty when the broker has no such listener; the
     * address the handler gave ({@code host}, {@code port}) for a broker not registered.
     */
    private Optional<ListenerEndpoint> endpoint(int brokerId, String listener, String host, int port) {
        if (brokerId == nodeId && own.containsKey(listener)) {
            return Optional.of(own.get(listener));
        }
        Optional<ClusterBroker> broker = brokers.apply(brokerId);
        if (broker.isEmpty()) {
            return Optional.of(new ListenerEndpoint(listener, host, port));
        }
        return broker.get().endpoint(listener);
    }

    /** {@code response} as a client of {@code ctx}'s listener must see it; changed in place. */
    ApiMessage forListener(RequestContext ctx, ApiMessage response) {
        String listener = ctx.listenerName();
        if (response instanceof MetadataResponseData metadata) {
            Set<Integer> without = new HashSet<>();
            metadata.brokers().removeIf(b -> {
                Optional<ListenerEndpoint> e = endpoint(b.nodeId(), listener, b.host(), b.port());
                e.ifPresentOrElse(at -> b.setHost(at.host()).setPort(at.port()), () -> without.add(b.nodeId()));
                return e.isEmpty();
            });
            Errors noListener = ctx.apiVersion() >= 6 ? Errors.LISTENER_NOT_FOUND : Errors.LEADER_NOT_AVAILABLE;
            metadata.topics().forEach(t -> t.partitions().stream()
                    .filter(p -> p.errorCode() == Errors.NONE.code() && without.contains(p.leaderId()))
                    .forEach(p -> p.setErrorCode(noListener.code()).setLeaderId(-1)));
        } else if (response instanceof DescribeClusterResponseData cluster) {
            cluster.brokers().removeIf(b -> {
                Optional<ListenerEndpoint> e = endpoint(b.brokerId(), listener, b.host(), b.port());
                e.ifPresent(at -> b.setHost(at.host()).setPort(at.port()));
                return e.isEmpty();
            });
        } else if (response instanceof FindCoordinatorResponseData coordinator) {
            if (coordinator.errorCode() == Errors.NONE.code() && coordinator.nodeId() >= 0) {
                endpoint(coordinator.nodeId(), listener, coordinator.host(), coordinator.port())
                        .ifPresentOrElse(at -> coordinator.setHost(at.host()).setPort(at.port()), () -> coordinator
                                .setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code())
                                .setErrorMessage(noCoordinatorListener(coordinator.nodeId(), listener))
                                .setNodeId(-1)
                                .setHost("")
                                .setPort(-1));
            }
            coordinator.coordinators().stream()
                    .filter(c -> c.errorCode() == Errors.NONE.code() && c.nodeId() >= 0)
                    .forEach(c -> endpoint(c.nodeId(), listener, c.host(), c.port())
                            .ifPresentOrElse(at -> c.setHost(at.host()).setPort(at.port()), () -> c.setErrorCode(
                                            Errors.COORDINATOR_NOT_AVAILABLE.code())
                                    .setErrorMessage(noCoordinatorListener(c.nodeId(), listener))
                                    .setNodeId(-1)
                                    .setHost("")
                                    .setPort(-1)));
        }
        return response;
    }

    private static String noCoordinatorListener(int brokerId, String listener) {
        return "The coordinator, broker " + brokerId + ", has no listener " + listener;
    }
}
