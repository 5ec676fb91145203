package dev.strata.broker.security;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.ProcessRoles;
import dev.strata.broker.config.SecurityConfigs;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.sasl.SaslClient;
import javax.security.sasl.SaslException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.security.scram.internals.ScramSaslClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How this broker secures its own connections to other brokers (replica fetches, transaction markers, transaction
 * verification), from its inter-broker listener's settings, as a Kafka broker does: TLS with that listener's stores
 * (the trust store checks the other broker's certificate, with {@code ssl.endpoint.identification.algorithm}; the key
 * store is this broker's certificate when the other asks for one), and SASL with
 * {@code sasl.mechanism.inter.broker.protocol} as the {@code username} and {@code password} of the listener's JAAS
 * setting of that mechanism. Built at startup, so a missing setting stops the broker with a message naming it; the
 * password is never logged.
 */
public final class InterBrokerSecurity {
    private static final Logger log = LoggerFactory.getLogger(InterBrokerSecurity.class);
    private static final InterBrokerSecurity PLAINTEXT =
            new InterBrokerSecurity(SecurityProtocol.PLAINTEXT, null, "", null);

    /** A SASL login: the mechanism, and who this broker is to the others. */
    private record Login(String mechanism, String username, String password) {}

    private final SecurityProtocol protocol;
    private final ReloadableSsl ssl;
    private final String endpointIdentification;
    private final Login login;

    private InterBrokerSecurity(
            SecurityProtocol protocol, ReloadableSsl ssl, String endpointIdentification, Login login) {
        this.protocol = protocol;
        this.ssl = ssl;
        this.endpointIdentification = endpointIdentification;
        this.login = login;
    }

    /** Plain TCP, no login: a PLAINTEXT inter-broker listener. */
    public static InterBrokerSecurity plaintext() {
        return PLAINTEXT;
    }

    /**
     * The security of connections to the other brokers' {@code listener} (this broker's inter-broker listener).
     *
     * @throws ConfigException when the SASL mechanism is not one Strata logs in with, not enabled on the listener, or
     *     its JAAS setting has no {@code username} and {@code password}
     */
    public static InterBrokerSecurity of(BrokerConfig config, ListenerSecurity listener) {
        SecurityProtocol protocol = listener.protocol();
        Map<String, Object> settings = SecurityConfigs.listenerSecurity(config, listener.listenerName());
        String endpointIdentification =
                (String) settings.getOrDefault(SecurityConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM, "https");
        Login login = listener.usesSasl() ? login(config, listener) : null;
        ReloadableSsl ssl = listener.tls().orElse(null);
        return new InterBrokerSecurity(
                protocol, ssl, endpointIdentification == null ? "" : endpointIdentification, login);
    }

    /**
     * {@link #of}, but a lone node (a broker and the only voter of its quorum), which has no other broker to connect
     * to, starts without a SASL login it cannot make (Kafka's default mechanism GSSAPI, which Strata does not offer),
     * with a WARN: its single-node configuration stays valid until brokers join it.
     */
    public static InterBrokerSecurity forNode(BrokerConfig config, ListenerSecurity listener) {
        try {
            return of(config, listener);
        } catch (ConfigException e) {
            String voters = config.get(BrokerConfig.CONTROLLER_QUORUM_VOTERS);
            boolean alone = config.processRoles() == ProcessRoles.COMBINED && (voters == null || !voters.contains(","));
            if (!alone) {
                throw e;
            }
            log.warn(
                    "This node could not log in to other brokers on its inter-broker listener {}, and has none to"
                            + " log in to now: {}",
                    listener.listenerName(),
                    e.getMessage());
            return new InterBrokerSecurity(
                    listener.protocol(), listener.tls().orElse(null), "https", new Login("", "", ""));
        }
    }

    private static Login login(BrokerConfig config, ListenerSecurity listener) {
        String key = SecurityConfigs.SASL_MECHANISM_INTER_BROKER_PROTOCOL;
        String mechanism = config.stringValue(key);
        String name = listener.listenerName();
        if (!mechanism.equals(ListenerSecurity.PLAIN)
                && ScramMechanism.forName(mechanism).isEmpty()) {
            throw new ConfigException(
                    key,
                    mechanism,
                    "the inter-broker listener " + name + " is " + listener.protocol() + ": brokers log in to each"
                            + " other with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
        }
        if (!listener.mechanisms().contains(mechanism)) {
            throw new ConfigException(
                    key,
                    mechanism,
                    "not among the mechanisms the inter-broker listener " + name + " enables " + listener.mechanisms());
        }
        String jaasKey = SecurityConfigs.listenerPrefix(name) + mechanism.toLowerCase(Locale.ROOT) + "."
                + SecurityConfigs.SASL_JAAS_CONFIG;
        String jaas = SecurityConfigs.jaasConfig(config, name, mechanism).orElse("");
        List<JaasConfigParser.LoginModule> modules;
        try {
            modules = JaasConfigParser.parse(jaas);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(jaasKey + ": " + e.getMessage());
        }
        Map<String, String> options =
                modules.isEmpty() ? Map.of() : modules.get(0).options();
        String username = options.get("username");
        String password = options.get("password");
        if (username == null || password == null) {
            // the value holds passwords: the message names the key only
            throw new ConfigException(jaasKey + ": brokers log in to each other as the username and password"
                    + " options of this setting, and it has " + (username == null ? "no username" : "no password"));
        }
        return new Login(mechanism, username, password);
    }

    public SecurityProtocol protocol() {
        return protocol;
    }

    /**
     * {@code connected} secured for talking to a broker at {@code host}: itself without TLS, else a TLS socket over
     * it, handshaken. For a thread that may block.
     *
     * @throws IOException when the TLS handshake fails (an untrusted certificate, say); {@code connected} is closed
     */
    public Socket secure(Socket connected, String host, int port) throws IOException {
        if (ssl == null) {
            return connected;
        }
        return ssl.clientSocket(connected, host, port, endpointIdentification);
    }

    /** The SASL mechanism this broker logs in with; empty without SASL. */
    public Optional<String> mechanism() {
        return Optional.ofNullable(login).map(Login::mechanism);
    }

    /**
     * A new client side of a SASL login with {@link #mechanism}, which answers the other broker's challenges.
     *
     * @throws IllegalStateException without SASL
     */
    public SaslClient newSaslClient() throws SaslException {
        if (login == null) {
            throw new IllegalStateException("no SASL on a " + protocol + " inter-broker listener");
        }
        if (login.mechanism().equals(ListenerSecurity.PLAIN)) {
            return new PlainClient(login.username(), login.password());
        }
        try {
            return new ScramSaslClient(
                    org.apache.kafka.common.security.scram.internals.ScramMechanism.forMechanismName(login.mechanism()),
                    callbacks -> {
                        for (Callback c : callbacks) {
                            if (c instanceof NameCallback name) {
                                name.setName(login.username());
                            } else if (c instanceof PasswordCallback password) {
                                password.setPassword(login.password().toCharArray());
                            } else {
                                throw new UnsupportedCallbackException(c);
                            }
                        }
                    });
        } catch (NoSuchAlgorithmException e) {
            throw new SaslException(login.mechanism() + " is not available in this JVM", e);
        }
    }

    /** SASL/PLAIN's client (RFC 4616): one message, no authorization id, the user name and the password. */
    private static final class PlainClient implements SaslClient {
        private final String username;
        private final String password;
        private boolean complete;

        PlainClient(String username, String password) {
            this.username = username;
            this.password = password;
        }

        @Override
        public String getMechanismName() {
            return ListenerSecurity.PLAIN;
        }

        @Override
        public boolean hasInitialResponse() {
            return true;
        }

        @Override
        public byte[] evaluateChallenge(byte[] challenge) {
            complete = true;
            return ("\0" + username + "\0" + password).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public boolean isComplete() {
            return complete;
        }

        @Override
        public byte[] unwrap(byte[] incoming, int offset, int len) {
            throw new IllegalStateException("PLAIN has no security layer");
        }

        @Override
        public byte[] wrap(byte[] outgoing, int offset, int len) {
            throw new IllegalStateException("PLAIN has no security layer");
        }

        @Override
        public Object getNegotiatedProperty(String propName) {
            return null;
        }

        @Override
        public void dispose() {}
    }
}
