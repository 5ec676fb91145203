package dev.strata.broker.config;

import static dev.strata.broker.config.BrokerConfig.ADVERTISED_LISTENERS;
import static dev.strata.broker.config.BrokerConfig.CONTROLLER_LISTENER_NAMES;
import static dev.strata.broker.config.BrokerConfig.LISTENERS;
import static dev.strata.broker.config.BrokerConfig.LISTENER_SECURITY_PROTOCOL_MAP;

import dev.strata.broker.config.BrokerConfig.ClientListener;
import dev.strata.broker.config.BrokerConfig.Listener;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * A node's listeners as {@link BrokerConfig} reads them: {@code listeners} split into the client listeners and the
 * controller listener named in {@code controller.listener.names}, checked against {@code process.roles} and
 * {@code listener.security.protocol.map} by Kafka's rules; each client listener's {@code advertised.listeners}
 * entry and security protocol; the inter-broker listener ({@code inter.broker.listener.name} or
 * {@code security.inter.broker.protocol}); and the HTTP listeners' addresses. A bad value is a {@link ConfigException}
 * naming its key, at startup.
 *
 * @param clients the listeners for clients (and brokers), in the order of {@code listeners}; empty on a
 *     controller-only node
 * @param interBroker the client listener brokers reach each other on, and whose advertised address a broker
 *     registers; null on a controller-only node
 * @param controller the metadata quorum's listener; empty on a broker-only node
 */
record Listeners(List<ClientListener> clients, ClientListener interBroker, Optional<Listener> controller) {

    /** The entry of {@code advertised.listeners} named like {@code client}; its own address when there is none. */
    static Listener advertisedFor(Listener client, List<Listener> advertised) {
        return advertised.stream()
                .filter(l -> l.name().equals(client.name()))
                .findFirst()
                .orElse(client);
    }

    /**
     * Checks the value of an HTTP listener setting ({@code metrics.prometheus.listener}, {@code console.listener}):
     * {@code host:port}; empty when it is null or blank.
     */
    static Optional<InetSocketAddress> parseHttpListener(String name, String spec) {
        if (spec == null || spec.isBlank()) {
            return Optional.empty();
        }
        String s = spec.trim();
        String expected = "expected host:port, such as 127.0.0.1:9404 (port 0 picks a free port), or empty for none";
        int colon = s.lastIndexOf(':');
        if (s.contains("://") || colon <= 0) {
            throw new ConfigException(name, spec, expected);
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException(name, spec, "port is not a number; " + expected);
        }
        if (host.isEmpty()) {
            throw new ConfigException(name, spec, "the host is missing; " + expected);
        }
        if (port < 0 || port > 65535) {
            throw new ConfigException(name, spec, "port out of range; " + expected);
        }
        return Optional.of(InetSocketAddress.createUnresolved(host, port));
    }

    /**
     * Splits {@code listeners} as Kafka does: the listeners named in {@code controller.listener.names} are the metadata
     * quorum's, every other one serves clients and brokers with the protocol {@code listener.security.protocol.map}
     * gives it.
     */
    static Listeners split(Map<String, Object> parsed, ProcessRoles roles) {
        String spec = (String) parsed.get(LISTENERS);
        List<Listener> all = Listener.parseAll(LISTENERS, spec);
        @SuppressWarnings("unchecked")
        List<String> controllerNames = (List<String>) parsed.get(CONTROLLER_LISTENER_NAMES);
        Map<String, SecurityProtocol> protocols =
                securityProtocolMap((String) parsed.get(LISTENER_SECURITY_PROTOCOL_MAP));
        String advertisedSpec = (String) parsed.get(ADVERTISED_LISTENERS);
        List<Listener> advertised =
                advertisedSpec == null ? List.of() : Listener.parseAll(ADVERTISED_LISTENERS, advertisedSpec);
        List<ClientListener> clients = new ArrayList<>();
        Listener controller = null;
        for (Listener l : all) {
            SecurityProtocol protocol = protocols.get(l.name());
            if (protocol == null) {
                throw new ConfigException(
                        LISTENERS,
                        spec,
                        "listener " + l.name() + " has no security protocol in " + LISTENER_SECURITY_PROTOCOL_MAP);
            }
            if (controllerNames.contains(l.name())) {
                controller = l;
            } else {
                clients.add(new ClientListener(l, advertisedFor(l, advertised), protocol));
            }
        }
        for (Listener a : advertised) {
            if (all.stream().noneMatch(l -> l.name().equals(a.name()))
                    && !(advertised.size() == 1 && clients.size() == 1)) {
                throw new ConfigException(
                        ADVERTISED_LISTENERS, advertisedSpec, "no listener " + a.name() + " in " + LISTENERS);
            }
        }
        if (advertised.size() == 1
                && clients.size() == 1
                && !advertised.get(0).name().equals(clients.get(0).name())) {
            // one client listener and one advertised entry under another name: that entry is its address
            ClientListener only = clients.get(0);
            clients.set(0, new ClientListener(only.bind(), advertised.get(0), only.protocol()));
        }
        checkListenersMatchRoles(spec, roles, controllerNames, clients, controller);
        ClientListener interBroker = clients.isEmpty() ? null : interBroker(parsed, clients);
        return new Listeners(List.copyOf(clients), interBroker, Optional.ofNullable(controller));
    }

    /**
     * Kafka's rule: {@code inter.broker.listener.name}, else the listener named like
     * {@code security.inter.broker.protocol} (PLAINTEXT by default); and Strata's: a lone client listener is the
     * inter-broker listener whatever its name.
     */
    private static ClientListener interBroker(Map<String, Object> parsed, List<ClientListener> clients) {
        String name = (String) parsed.get(SecurityConfigs.INTER_BROKER_LISTENER_NAME);
        String key = SecurityConfigs.INTER_BROKER_LISTENER_NAME;
        if (name == null) {
            name = (String) parsed.get(SecurityConfigs.SECURITY_INTER_BROKER_PROTOCOL);
            key = SecurityConfigs.SECURITY_INTER_BROKER_PROTOCOL;
            if (clients.size() == 1) {
                return clients.get(0);
            }
        } else if (parsed.get(SecurityConfigs.SECURITY_INTER_BROKER_PROTOCOL) != null
                && !"PLAINTEXT".equals(parsed.get(SecurityConfigs.SECURITY_INTER_BROKER_PROTOCOL))) {
            throw new ConfigException(
                    SecurityConfigs.INTER_BROKER_LISTENER_NAME,
                    name,
                    "set only one of " + SecurityConfigs.INTER_BROKER_LISTENER_NAME + " and "
                            + SecurityConfigs.SECURITY_INTER_BROKER_PROTOCOL);
        }
        String wanted = name;
        return clients.stream()
                .filter(c -> c.bind().name().equals(wanted))
                .findFirst()
                .orElseThrow(() -> new ConfigException(
                        SecurityConfigs.INTER_BROKER_LISTENER_NAME,
                        wanted,
                        "the inter-broker listener must be one of the client listeners "
                                + clients.stream().map(c -> c.bind().name()).toList() + " (set "
                                + SecurityConfigs.INTER_BROKER_LISTENER_NAME + ")"));
    }

    /** Kafka's rules: a controller listens only on controller listeners, a broker-only node on none of them. */
    private static void checkListenersMatchRoles(
            String spec,
            ProcessRoles roles,
            List<String> controllerNames,
            List<ClientListener> clients,
            Listener controller) {
        String role = ProcessRoles.PROCESS_ROLES + "=" + roles;
        if (roles.isVoter() && controller == null && (roles == ProcessRoles.CONTROLLER || !controllerNames.isEmpty())) {
            throw new ConfigException(
                    CONTROLLER_LISTENER_NAMES,
                    String.join(",", controllerNames),
                    "with " + role + " " + CONTROLLER_LISTENER_NAMES + " must name one of the listeners in " + LISTENERS
                            + "=" + spec + " (the listener the metadata quorum's voter listens on)");
        }
        if (roles == ProcessRoles.CONTROLLER) {
            if (!clients.isEmpty()) {
                throw new ConfigException(
                        LISTENERS,
                        spec,
                        "with " + role + " the listeners may only be the controller listeners named in "
                                + CONTROLLER_LISTENER_NAMES + " " + controllerNames + "; "
                                + clients.stream().map(c -> c.bind().name()).toList() + " would serve clients");
            }
        } else if (clients.isEmpty()) {
            throw new ConfigException(
                    LISTENERS,
                    spec,
                    "expected at least one listener for clients and brokers (not named in " + CONTROLLER_LISTENER_NAMES
                            + ")");
        }
        if (roles == ProcessRoles.BROKER) {
            if (controllerNames.isEmpty()) {
                throw new ConfigException(
                        CONTROLLER_LISTENER_NAMES,
                        "",
                        "with " + role + " " + CONTROLLER_LISTENER_NAMES + " must name the controllers' listener,"
                                + " as in Kafka (CONTROLLER, say)");
            }
            if (controller != null) {
                throw new ConfigException(
                        LISTENERS,
                        spec,
                        "with " + role + " the listeners must not include the controller listener " + controller.name()
                                + ": a broker-only node has no vote and serves no quorum traffic");
            }
        }
    }

    /**
     * The protocol of the metadata quorum's listener, the first of {@code controller.listener.names}, as
     * {@code listener.security.protocol.map} gives it: PLAINTEXT or SSL (mutual TLS), on every node (a broker without
     * a vote dials the voters with it).
     *
     * @throws ConfigException for another protocol
     */
    @SuppressWarnings("unchecked")
    static SecurityProtocol controllerProtocol(Map<String, Object> parsed) {
        List<String> names = (List<String>) parsed.get(CONTROLLER_LISTENER_NAMES);
        if (names == null || names.isEmpty()) {
            return SecurityProtocol.PLAINTEXT;
        }
        String map = (String) parsed.get(LISTENER_SECURITY_PROTOCOL_MAP);
        // a name the map lacks (on a broker-only node, which has no such listener to check) is PLAINTEXT, as before
        SecurityProtocol protocol = securityProtocolMap(map).getOrDefault(names.get(0), SecurityProtocol.PLAINTEXT);
        if (protocol != SecurityProtocol.PLAINTEXT && protocol != SecurityProtocol.SSL) {
            throw new ConfigException(
                    LISTENER_SECURITY_PROTOCOL_MAP,
                    map,
                    "the controller listener " + names.get(0) + " uses " + protocol
                            + "; the metadata quorum's listener takes PLAINTEXT or SSL (mutual TLS)");
        }
        return protocol;
    }

    private static Map<String, SecurityProtocol> securityProtocolMap(String spec) {
        Map<String, SecurityProtocol> map = new LinkedHashMap<>();
        for (String entry : spec.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            int colon = entry.indexOf(':');
            if (colon <= 0 || colon == entry.length() - 1) {
                throw new ConfigException(LISTENER_SECURITY_PROTOCOL_MAP, spec, "expected NAME:PROTOCOL pairs");
            }
            String protocol = entry.substring(colon + 1).trim();
            try {
                map.put(entry.substring(0, colon).trim(), SecurityProtocol.forName(protocol));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(
                        LISTENER_SECURITY_PROTOCOL_MAP,
                        spec,
                        "unknown security protocol " + protocol
                                + "; expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL");
            }
        }
        return map;
    }
}
