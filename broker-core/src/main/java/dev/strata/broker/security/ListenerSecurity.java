package dev.strata.broker.security;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.BrokerConfig.ClientListener;
import dev.strata.broker.config.SecurityConfigs;
import java.io.IOException;
import java.security.Principal;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.security.ssl.DefaultSslEngineFactory;
import org.apache.kafka.common.security.ssl.SslPrincipalMapper;

/**
 * How one listener secures its connections, built at startup from the listener's settings (so no key store is read
 * from disk while a connection handshakes): its {@link SecurityProtocol}; for {@code SSL} and {@code SASL_SSL} the TLS
 * engine factory ({@link ReloadableSsl}: Kafka's {@link DefaultSslEngineFactory}, replaced when the stores change, with the JDK provider: JKS, PKCS12 and PEM stores,
 * {@code ssl.client.auth}, {@code ssl.enabled.protocols}, {@code ssl.cipher.suites}) and the
 * {@code ssl.principal.mapping.rules}; for {@code SASL_*} the enabled mechanisms, the PLAIN users and where the SCRAM
 * credentials are ({@link ScramCredentialStore}: the metadata, not the configuration).
 */
public final class ListenerSecurity {
    public static final String PLAIN = "PLAIN";
    static final String SCRAM_LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule";

    private final String listenerName;
    private final SecurityProtocol protocol;
    private final ReloadableSsl ssl;
    private final SslPrincipalMapper principalMapper;
    private final Sasl sasl;

    /**
     * A SASL listener's settings: its mechanisms (none on other listeners), the PLAIN users, where the SCRAM
     * credentials are, {@code connections.max.reauth.ms}, {@code sasl.server.max.receive.size} and
     * {@code connection.failed.authentication.delay.ms}.
     */
    private record Sasl(
            List<String> mechanisms,
            PlainUsers plainUsers,
            ScramCredentialStore scramCredentials,
            long reauthenticationMs,
            int maxUnauthenticatedFrameBytes,
            int failedAuthenticationDelayMs) {
        static final Sasl NONE = new Sasl(List.of(), null, null, 0, Integer.MAX_VALUE, 0);
    }

    private ListenerSecurity(
            String listenerName,
            SecurityProtocol protocol,
            ReloadableSsl ssl,
            SslPrincipalMapper principalMapper,
            Sasl sasl) {
        this.listenerName = listenerName;
        this.protocol = protocol;
        this.ssl = ssl;
        this.principalMapper = principalMapper;
        this.sasl = sasl;
    }

    /** A PLAINTEXT listener: no TLS, no SASL, every client is {@link KafkaPrincipal#ANONYMOUS}. */
    public static ListenerSecurity plaintext(String listenerName) {
        return new ListenerSecurity(listenerName, SecurityProtocol.PLAINTEXT, null, null, Sasl.NONE);
    }

    /** An SSL listener with no engine, only {@code ssl.principal.mapping.rules}: for tests of the principal. */
    static ListenerSecurity withPrincipalRules(String rules) {
        return new ListenerSecurity("SSL", SecurityProtocol.SSL, null, SslPrincipalMapper.fromRules(rules), Sasl.NONE);
    }

    /**
     * Loads the listener's key and trust stores and its PLAIN users.
     *
     * @param scram the SCRAM credentials, for a listener that enables SCRAM-SHA-256 or SCRAM-SHA-512
     * @throws ConfigException naming the setting that is missing or wrong
     */
    @SuppressWarnings("unchecked")
    public static ListenerSecurity of(BrokerConfig config, ClientListener listener, ScramCredentialStore scram) {
        SecurityProtocol protocol = listener.protocol();
        String name = listener.name();
        String prefix = SecurityConfigs.listenerPrefix(name);
        Map<String, Object> settings = dev.strata.broker.config.SecurityConfigs.listenerSecurity(config, name);
        ReloadableSsl ssl = null;
        SslPrincipalMapper mapper = null;
        if (protocol == SecurityProtocol.SSL || protocol == SecurityProtocol.SASL_SSL) {
            if (settings.get(SecurityConfigs.SSL_KEYSTORE_LOCATION) == null
                    && settings.get(SecurityConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN) == null) {
                throw new ConfigException(
                        SecurityConfigs.SSL_KEYSTORE_LOCATION,
                        null,
                        "the " + protocol + " listener " + name + " needs a key store: set "
                                + SecurityConfigs.SSL_KEYSTORE_LOCATION + " (or " + prefix
                                + SecurityConfigs.SSL_KEYSTORE_LOCATION + ")");
            }
            ssl = ReloadableSsl.load(name, settings);
            String rules = (String) settings.get(SecurityConfigs.SSL_PRINCIPAL_MAPPING_RULES);
            try {
                mapper = SslPrincipalMapper.fromRules(rules);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(SecurityConfigs.SSL_PRINCIPAL_MAPPING_RULES, rules, e.getMessage());
            }
        }
        List<String> mechanisms = List.of();
        PlainUsers plain = null;
        if (protocol == SecurityProtocol.SASL_PLAINTEXT || protocol == SecurityProtocol.SASL_SSL) {
            mechanisms = List.copyOf((List<String>) settings.get(SecurityConfigs.SASL_ENABLED_MECHANISMS));
            for (String mechanism : mechanisms) {
                if (!mechanism.equals(PLAIN)
                        && ScramMechanism.forName(mechanism).isEmpty()) {
                    throw new ConfigException(
                            SecurityConfigs.SASL_ENABLED_MECHANISMS,
                            String.join(",", mechanisms),
                            "listener " + name + ": SASL mechanism " + mechanism + " is not supported; Strata offers"
                                    + " PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512");
                }
            }
            if (mechanisms.isEmpty()) {
                throw new ConfigException(
                        SecurityConfigs.SASL_ENABLED_MECHANISMS,
                        "",
                        "the " + protocol + " listener " + name + " needs at least one mechanism");
            }
            for (String mechanism : mechanisms) {
                String jaasKey =
                        prefix + mechanism.toLowerCase(java.util.Locale.ROOT) + "." + SecurityConfigs.SASL_JAAS_CONFIG;
                String jaas = SecurityConfigs.jaasConfig(config, name, mechanism)
                        .orElseThrow(() -> new ConfigException(
                                jaasKey,
                                null,
                                "SASL/" + mechanism + " on listener " + name + " needs its login module in "
                                        + jaasKey));
                try {
                    if (mechanism.equals(PLAIN)) {
                        plain = PlainUsers.fromJaas(jaas);
                    } else {
                        requireScramLoginModule(jaas);
                    }
                } catch (IllegalArgumentException e) {
                    // the value may hold passwords: the message names the key and the position only
                    throw new ConfigException(jaasKey + ": " + e.getMessage());
                }
            }
        }
        Sasl sasl = mechanisms.isEmpty()
                ? Sasl.NONE
                : new Sasl(
                        mechanisms,
                        plain,
                        scram,
                        (Long) settings.get(SecurityConfigs.CONNECTIONS_MAX_REAUTH_MS),
                        (Integer) settings.get(SecurityConfigs.SASL_SERVER_MAX_RECEIVE_SIZE),
                        config.intValue(SecurityConfigs.CONNECTION_FAILED_AUTHENTICATION_DELAY_MS));
        return new ListenerSecurity(name, protocol, ssl, mapper, sasl);
    }

    /** Kafka's broker reads SCRAM users from its metadata; the JAAS setting must still name the SCRAM module. */
    private static void requireScramLoginModule(String jaas) {
        List<JaasConfigParser.LoginModule> modules = JaasConfigParser.parse(jaas);
        if (modules.stream().noneMatch(m -> m.className().equals(SCRAM_LOGIN_MODULE))) {
            throw new IllegalArgumentException("the JAAS configuration of SCRAM must use " + SCRAM_LOGIN_MODULE
                    + ", found "
                    + modules.stream()
                            .map(JaasConfigParser.LoginModule::className)
                            .toList());
        }
    }

    public String listenerName() {
        return listenerName;
    }

    public SecurityProtocol protocol() {
        return protocol;
    }

    public boolean usesTls() {
        return ssl != null;
    }

    public boolean usesSasl() {
        return !sasl.mechanisms().isEmpty();
    }

    /** The SASL mechanisms clients may choose, in the order of {@code sasl.enabled.mechanisms}. */
    public List<String> mechanisms() {
        return sasl.mechanisms();
    }

    /**
     * {@code connections.max.reauth.ms}: how long a SASL session lasts before the client must re-authenticate on its
     * connection (KIP-368); 0 for sessions that never end.
     */
    public long reauthenticationMs() {
        return sasl.reauthenticationMs();
    }

    /**
     * {@code sasl.server.max.receive.size}: the largest frame a client of a SASL listener may send before it has
     * authenticated; {@code Integer.MAX_VALUE} on other listeners (then {@code socket.request.max.bytes} alone).
     */
    public int maxUnauthenticatedFrameBytes() {
        return sasl.maxUnauthenticatedFrameBytes();
    }

    /**
     * {@code connection.failed.authentication.delay.ms}: how long a failed SASL authentication's answer and the close
     * of its connection wait; 0 on listeners without SASL.
     */
    public int failedAuthenticationDelayMs() {
        return sasl.failedAuthenticationDelayMs();
    }

    /** The PLAIN users; empty when PLAIN is not enabled. */
    public Optional<PlainUsers> plainUsers() {
        return Optional.ofNullable(sasl.plainUsers());
    }

    /**
     * A new server side of an authentication with {@code mechanism}, one of {@link #mechanisms}.
     *
     * @throws IllegalArgumentException for a mechanism this listener does not enable
     */
    public SaslExchange newExchange(String mechanism) {
        if (!sasl.mechanisms().contains(mechanism)) {
            throw new IllegalArgumentException("SASL mechanism " + mechanism + " is not enabled");
        }
        if (mechanism.equals(PLAIN)) {
            return sasl.plainUsers().exchange();
        }
        return new ScramServer(ScramMechanism.forName(mechanism).orElseThrow(), sasl.scramCredentials());
    }

    /** A server-side TLS engine for one connection, of the stores in effect now; only on a TLS listener. */
    public SSLEngine newServerEngine(String peerHost, int peerPort) {
        return ssl.newServerEngine(peerHost, peerPort);
    }

    /** The listener's replaceable TLS engine factory; empty on a listener without TLS. */
    public Optional<ReloadableSsl> tls() {
        return Optional.ofNullable(ssl);
    }

    /**
     * The principal of a TLS connection as Kafka's default principal builder gives it: the client certificate's
     * subject through {@code ssl.principal.mapping.rules}, or {@link KafkaPrincipal#ANONYMOUS} without a certificate.
     */
    public KafkaPrincipal tlsPrincipal(SSLSession session) {
        try {
            Principal peer = session.getPeerPrincipal();
            if (peer instanceof X500Principal x500) {
                return new KafkaPrincipal(KafkaPrincipal.USER_TYPE, principalMapper.getName(x500.getName()));
            }
            return KafkaPrincipal.ANONYMOUS;
        } catch (SSLPeerUnverifiedException e) {
            return KafkaPrincipal.ANONYMOUS;
        } catch (IOException e) {
            throw new KafkaException("No principal for the client certificate: " + e.getMessage(), e);
        }
    }
}
