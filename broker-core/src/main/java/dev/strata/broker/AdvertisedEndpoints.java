package dev.strata.broker;

import dev.strata.broker.cluster.ListenerEndpoint;
import dev.strata.broker.config.BrokerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a broker registers as its address on each client listener: the listener's {@code advertised.listeners} entry
 * (its own address when it has none), a wildcard host as the loopback address, and port 0 as the port the listener
 * was bound to, once it is bound.
 */
final class AdvertisedEndpoints {

    private AdvertisedEndpoints() {}

    /**
     * The endpoints of every client listener, in the order of {@code listeners}.
     *
     * @param boundPorts the port each listener is bound to; empty before they are bound (port 0 then stays 0)
     */
    static List<ListenerEndpoint> of(BrokerConfig config, Map<String, Integer> boundPorts) {
        List<ListenerEndpoint> endpoints = new ArrayList<>();
        for (BrokerConfig.ClientListener l : config.clientListeners()) {
            int port = l.advertised().port() == 0
                    ? boundPorts.getOrDefault(l.name(), 0)
                    : l.advertised().port();
            endpoints.add(new ListenerEndpoint(l.name(), host(l.advertised()), port));
        }
        return endpoints;
    }

    /** The inter-broker listener's entry of {@code endpoints}: the address other brokers use. */
    static ListenerEndpoint interBroker(BrokerConfig config, List<ListenerEndpoint> endpoints) {
        String name = config.interBrokerListener().name();
        return endpoints.stream()
                .filter(e -> e.listener().equals(name))
                .findFirst()
                .orElseThrow();
    }

    /** An advertised host; a wildcard address, which no client can connect to, as the loopback address. */
    static String host(BrokerConfig.Listener advertised) {
        String host = advertised.host();
        return host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
    }
}
