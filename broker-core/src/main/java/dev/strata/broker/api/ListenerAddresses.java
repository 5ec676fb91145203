package dev.strata.broker.api;

import java.util.Map;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiMessage;

/**
 * Kafka's rule that a client is told the addresses of the listener it connected to: the handlers name brokers by their
 * registered address (their inter-broker listener's), and this rewrites this broker's own entry in Metadata,
 * DescribeCluster and FindCoordinator answers to its advertised address on the request's listener. Other brokers
 * keep their registered address: a broker registers one endpoint today (see the README's security section).
 */
public final class ListenerAddresses {

    /** Where this broker is reached on one listener. */
    public record Address(String host, int port) {}

    private final int nodeId;
    private final String interBrokerListener;
    private volatile Map<String, Address> own = Map.of();

    public ListenerAddresses(int nodeId, String interBrokerListener) {
        this.nodeId = nodeId;
        this.interBrokerListener = interBrokerListener;
    }

    /** This broker's advertised address on each listener, known once every listener is bound. */
    public void advertise(Map<String, Address> byListener) {
        this.own = Map.copyOf(byListener);
    }

    /** {@code response} as a client on {@code listenerName} must see it; changed in place. */
    ApiMessage forListener(String listenerName, ApiMessage response) {
        Address address = own.get(listenerName);
        if (listenerName.equals(interBrokerListener) || address == null) {
            return response;
        }
        if (response instanceof MetadataResponseData metadata) {
            metadata.brokers().stream().filter(b -> b.nodeId() == nodeId).forEach(b -> b.setHost(address.host())
                    .setPort(address.port()));
        } else if (response instanceof DescribeClusterResponseData cluster) {
            cluster.brokers().stream().filter(b -> b.brokerId() == nodeId).forEach(b -> b.setHost(address.host())
                    .setPort(address.port()));
        } else if (response instanceof FindCoordinatorResponseData coordinator) {
            if (coordinator.nodeId() == nodeId) {
                coordinator.setHost(address.host()).setPort(address.port());
            }
            coordinator.coordinators().stream()
                    .filter(c -> c.nodeId() == nodeId)
                    .forEach(c -> c.setHost(address.host()).setPort(address.port()));
        }
        return response;
    }
}
