package dev.strata.broker.config;

import static dev.strata.broker.config.BrokerConfig.ADVERTISED_LISTENERS;
import static dev.strata.broker.config.BrokerConfig.CONTROLLER_LISTENER_NAMES;
import static dev.strata.broker.config.BrokerConfig.LISTENERS;
import static dev.strata.broker.config.BrokerConfig.LISTENER_SECURITY_PROTOCOL_MAP;

import dev.strata.broker.config.BrokerConfig.Listener;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigException;

/**
 * A node's listeners as {@link BrokerConfig} reads them: {@code listeners} split into the one client listener and the
 * controller listener named in {@code controller.listener.names}, checked against {@code process.roles} and
 * {@code listener.security.protocol.map} by Kafka's rules; the {@code advertised.listeners} entry of the client
 * listener; and the {@code metrics.prometheus.listener} address. A bad value is a {@link ConfigException} naming its
 * key, at startup.
 *
 * @param client the listener for clients and brokers; empty on a controller-only node
 * @param controller the metadata quorum's listener; empty on a broker-only node
 */
record Listeners(Optional<Listener> client, Optional<Listener> controller) {

    /** The entry of {@code advertised.listeners} with the client listener's name, or its only entry. */
    static Listener advertisedFor(Listener client, String spec) {
        List<Listener> all = Listener.parseAll(ADVERTISED_LISTENERS, spec);
        return all.stream()
                .filter(l -> l.name().equals(client.name()))
                .findFirst()
                .orElseGet(() -> {
                    if (all.size() == 1) {
                        return all.get(0);
                    }
                    throw new ConfigException(ADVERTISED_LISTENERS, spec, "no entry for the listener " + client.name());
                });
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
     * quorum's, every other one serves clients and brokers. Strata serves one client listener, over PLAINTEXT (its
     * protocol comes from {@code listener.security.protocol.map}).
     */
    static Listeners split(Map<String, Object> parsed, ProcessRoles roles) {
        String spec = (String) parsed.get(LISTENERS);
        List<Listener> all = Listener.parseAll(LISTENERS, spec);
        @SuppressWarnings("unchecked")
        List<String> controllerNames = (List<String>) parsed.get(CONTROLLER_LISTENER_NAMES);
        Map<String, String> protocols = securityProtocolMap((String) parsed.get(LISTENER_SECURITY_PROTOCOL_MAP));
        List<Listener> clients = new ArrayList<>();
        Listener controller = null;
        for (Listener l : all) {
            String protocol = protocols.get(l.name());
            if (protocol == null) {
                throw new ConfigException(
                        LISTENERS,
                        spec,
                        "listener " + l.name() + " has no security protocol in " + LISTENER_SECURITY_PROTOCOL_MAP);
            }
            if (!protocol.equals("PLAINTEXT")) {
                throw new ConfigException(
                        LISTENERS,
                        spec,
                        "listener " + l.name() + " uses " + protocol + "; only PLAINTEXT listeners are supported");
            }
            if (controllerNames.contains(l.name())) {
                controller = l;
            } else {
                clients.add(l);
            }
        }
        checkListenersMatchRoles(spec, roles, controllerNames, clients, controller);
        return new Listeners(clients.stream().findFirst(), Optional.ofNullable(controller));
    }

    /** Kafka's rules: a controller listens only on controller listeners, a broker-only node on none of them. */
    private static void checkListenersMatchRoles(
            String spec,
            ProcessRoles roles,
            List<String> controllerNames,
            List<Listener> clients,
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
                                + clients.stream().map(Listener::name).toList() + " would serve clients");
            }
        } else if (clients.size() != 1) {
            throw new ConfigException(
                    LISTENERS,
                    spec,
                    "expected exactly one listener for clients and brokers (not" + " named in "
                            + CONTROLLER_LISTENER_NAMES + "), found " + clients.size());
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

    private static Map<String, String> securityProtocolMap(String spec) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String entry : spec.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            int colon = entry.indexOf(':');
            if (colon <= 0 || colon == entry.length() - 1) {
                throw new ConfigException(LISTENER_SECURITY_PROTOCOL_MAP, spec, "expected NAME:PROTOCOL pairs");
            }
            map.put(entry.substring(0, colon).trim(), entry.substring(colon + 1).trim());
        }
        return map;
    }
}
