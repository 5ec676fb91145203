package dev.strata.broker.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;

/**
 * The listeners' TLS and SASL settings, with Kafka's names and defaults; part of {@link BrokerConfigs#DEF}. Each one
 * can be set for one listener alone with Kafka's prefix {@code listener.name.<listener name in lower case>.}, which
 * wins over the unprefixed value ({@link #forListener}). A SASL mechanism's JAAS configuration exists only in that
 * prefixed form, as on Kafka's brokers: {@code listener.name.<listener>.<mechanism>.sasl.jaas.config}.
 */
public final class SecurityConfigs {
    public static final String INTER_BROKER_LISTENER_NAME = "inter.broker.listener.name";
    public static final String SECURITY_INTER_BROKER_PROTOCOL = "security.inter.broker.protocol";
    public static final String SASL_MECHANISM_INTER_BROKER_PROTOCOL = "sasl.mechanism.inter.broker.protocol";

    public static final String SSL_KEYSTORE_TYPE = "ssl.keystore.type";
    public static final String SSL_KEYSTORE_LOCATION = "ssl.keystore.location";
    public static final String SSL_KEYSTORE_PASSWORD = "ssl.keystore.password";
    public static final String SSL_KEY_PASSWORD = "ssl.key.password";
    public static final String SSL_KEYSTORE_CERTIFICATE_CHAIN = "ssl.keystore.certificate.chain";
    public static final String SSL_KEYSTORE_KEY = "ssl.keystore.key";
    public static final String SSL_TRUSTSTORE_TYPE = "ssl.truststore.type";
    public static final String SSL_TRUSTSTORE_LOCATION = "ssl.truststore.location";
    public static final String SSL_TRUSTSTORE_PASSWORD = "ssl.truststore.password";
    public static final String SSL_TRUSTSTORE_CERTIFICATES = "ssl.truststore.certificates";
    public static final String SSL_CLIENT_AUTH = "ssl.client.auth";
    public static final String SSL_PROTOCOL = "ssl.protocol";
    public static final String SSL_ENABLED_PROTOCOLS = "ssl.enabled.protocols";
    public static final String SSL_CIPHER_SUITES = "ssl.cipher.suites";
    public static final String SSL_ENDPOINT_IDENTIFICATION_ALGORITHM = "ssl.endpoint.identification.algorithm";
    public static final String SSL_PRINCIPAL_MAPPING_RULES = "ssl.principal.mapping.rules";
    public static final String SSL_ALLOW_DN_CHANGES = "ssl.allow.dn.changes";
    public static final String SSL_ALLOW_SAN_CHANGES = "ssl.allow.san.changes";
    public static final String SSL_STORE_CHECK_INTERVAL_MS = "ssl.store.check.interval.ms";
    public static final String SASL_ENABLED_MECHANISMS = "sasl.enabled.mechanisms";
    public static final String CONNECTIONS_MAX_REAUTH_MS = "connections.max.reauth.ms";
    public static final String SASL_SERVER_MAX_RECEIVE_SIZE = "sasl.server.max.receive.size";
    public static final String CONNECTION_FAILED_AUTHENTICATION_DELAY_MS = "connection.failed.authentication.delay.ms";
    /** The suffix of a mechanism's JAAS setting, after {@code listener.name.<listener>.<mechanism>.}. */
    public static final String SASL_JAAS_CONFIG = "sasl.jaas.config";

    public static final String AUTHORIZER_CLASS_NAME = "authorizer.class.name";
    public static final String SUPER_USERS = "super.users";
    public static final String ALLOW_EVERYONE_IF_NO_ACL_FOUND = "allow.everyone.if.no.acl.found";

    /**
     * The settings of a listener's stores that can change while the broker runs, as in Kafka: for this broker only
     * (not the cluster default), with or without the listener prefix.
     */
    public static final List<String> DYNAMIC_STORE_SETTINGS = List.of(
            SSL_KEYSTORE_TYPE,
            SSL_KEYSTORE_LOCATION,
            SSL_KEYSTORE_PASSWORD,
            SSL_KEY_PASSWORD,
            SSL_KEYSTORE_CERTIFICATE_CHAIN,
            SSL_KEYSTORE_KEY,
            SSL_TRUSTSTORE_TYPE,
            SSL_TRUSTSTORE_LOCATION,
            SSL_TRUSTSTORE_PASSWORD,
            SSL_TRUSTSTORE_CERTIFICATES);

    /** The settings of {@link #define} that a listener may override with its prefix. */
    static final List<String> PER_LISTENER = java.util.stream.Stream.concat(
                    DYNAMIC_STORE_SETTINGS.stream(),
                    java.util.stream.Stream.of(
                            SSL_CLIENT_AUTH,
                            SSL_PROTOCOL,
                            SSL_ENABLED_PROTOCOLS,
                            SSL_CIPHER_SUITES,
                            SSL_ENDPOINT_IDENTIFICATION_ALGORITHM,
                            SSL_PRINCIPAL_MAPPING_RULES,
                            SSL_ALLOW_DN_CHANGES,
                            SSL_ALLOW_SAN_CHANGES,
                            SASL_ENABLED_MECHANISMS,
                            CONNECTIONS_MAX_REAUTH_MS,
                            SASL_SERVER_MAX_RECEIVE_SIZE))
            .toList();

    private SecurityConfigs() {}

    /** Whether {@code name} is one of {@link #DYNAMIC_STORE_SETTINGS}, with or without a listener prefix. */
    public static boolean isDynamicStoreSetting(String name) {
        return DYNAMIC_STORE_SETTINGS.contains(BrokerConfigs.withoutListenerPrefix(name));
    }

    /** Whether {@code name} is one of {@link #PER_LISTENER} with a listener prefix. */
    static boolean isListenerSetting(String name) {
        return name.startsWith("listener.name.") && PER_LISTENER.contains(BrokerConfigs.withoutListenerPrefix(name));
    }

    /** The names a dynamic update of {@code listenerName}'s stores changes: prefixed and unprefixed. */
    public static java.util.Set<String> dynamicStoreNames(String listenerName) {
        java.util.Set<String> names = new java.util.TreeSet<>(DYNAMIC_STORE_SETTINGS);
        DYNAMIC_STORE_SETTINGS.forEach(key -> names.add(listenerPrefix(listenerName) + key));
        return names;
    }

    /** Kafka's prefix of one listener's own settings: {@code listener.name.<name in lower case>.}. */
    public static String listenerPrefix(String listenerName) {
        return "listener.name." + listenerName.toLowerCase(Locale.ROOT) + ".";
    }

    /**
     * The settings of {@link #PER_LISTENER} as one listener sees them, as strings: its prefixed value, else the
     * unprefixed one, else nothing (the key is left out). These are secrets too: never log the map.
     */
    static Map<String, String> forListener(Map<String, String> values, String listenerName) {
        String prefix = listenerPrefix(listenerName);
        Map<String, String> resolved = new java.util.LinkedHashMap<>();
        for (String key : PER_LISTENER) {
            String value = values.getOrDefault(prefix + key, values.get(key));
            if (value != null) {
                resolved.put(key, value);
            }
        }
        return resolved;
    }

    static void define(ConfigDef def) {
        def.define(
                        INTER_BROKER_LISTENER_NAME,
                        Type.STRING,
                        null,
                        Importance.MEDIUM,
                        "the listener brokers use to reach each other (replication, transaction markers) and the"
                                + " address a broker registers; unset, the listener named like"
                                + " `security.inter.broker.protocol`, or the only client listener. Any protocol:"
                                + " a broker connects to the others with this listener's `ssl.*` settings (its trust"
                                + " store checks their certificates, its key store is its own certificate) and logs in"
                                + " with `sasl.mechanism.inter.broker.protocol`")
                .define(
                        SECURITY_INTER_BROKER_PROTOCOL,
                        Type.STRING,
                        "PLAINTEXT",
                        ValidString.in("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"),
                        Importance.MEDIUM,
                        "names the inter-broker listener when `inter.broker.listener.name` is unset (not both)")
                .define(
                        SASL_MECHANISM_INTER_BROKER_PROTOCOL,
                        Type.STRING,
                        "GSSAPI",
                        Importance.MEDIUM,
                        "the SASL mechanism brokers log in to each other with when the inter-broker listener is"
                                + " `SASL_PLAINTEXT` or `SASL_SSL`: `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`, enabled"
                                + " on that listener; the broker logs in as the `username` and `password` of the"
                                + " listener's JAAS setting of that mechanism, as Kafka's does. Needed on a node of a"
                                + " cluster (Kafka's default `GSSAPI` is not supported)")
                .define(
                        SSL_KEYSTORE_TYPE,
                        Type.STRING,
                        "JKS",
                        Importance.MEDIUM,
                        "`JKS`, `PKCS12` or `PEM`; each TLS listener (`SSL`, `SASL_SSL`) needs a key store, and"
                                + " every `ssl.*` setting can be given per listener as"
                                + " `listener.name.<listener>.ssl.*`")
                .define(
                        SSL_KEYSTORE_LOCATION,
                        Type.STRING,
                        null,
                        Importance.HIGH,
                        "the key store file, read at startup and again when it changes (see `ssl.store.check.interval.ms`) or"
                                + " when a dynamic update sets a store setting of the listener")
                .define(SSL_KEYSTORE_PASSWORD, Type.PASSWORD, null, Importance.HIGH, "the key store's password")
                .define(
                        SSL_KEY_PASSWORD,
                        Type.PASSWORD,
                        null,
                        Importance.HIGH,
                        "the private key's password; the key store's when unset")
                .define(
                        SSL_KEYSTORE_CERTIFICATE_CHAIN,
                        Type.PASSWORD,
                        null,
                        Importance.HIGH,
                        "with `ssl.keystore.type=PEM` and no location: the certificate chain, PEM text")
                .define(
                        SSL_KEYSTORE_KEY,
                        Type.PASSWORD,
                        null,
                        Importance.HIGH,
                        "with `ssl.keystore.type=PEM` and no location: the PKCS#8 private key, PEM text")
                .define(SSL_TRUSTSTORE_TYPE, Type.STRING, "JKS", Importance.MEDIUM, "`JKS`, `PKCS12` or `PEM`")
                .define(
                        SSL_TRUSTSTORE_LOCATION,
                        Type.STRING,
                        null,
                        Importance.HIGH,
                        "the trust store file: the authorities client certificates must chain to; the JVM's"
                                + " default when unset")
                .define(SSL_TRUSTSTORE_PASSWORD, Type.PASSWORD, null, Importance.HIGH, "the trust store's password")
                .define(
                        SSL_TRUSTSTORE_CERTIFICATES,
                        Type.PASSWORD,
                        null,
                        Importance.HIGH,
                        "with `ssl.truststore.type=PEM` and no location: the trusted certificates, PEM text")
                .define(
                        SSL_CLIENT_AUTH,
                        Type.STRING,
                        "none",
                        ValidString.in("none", "requested", "required"),
                        Importance.MEDIUM,
                        "whether TLS clients must (`required`) or may (`requested`) present a certificate; the"
                                + " principal of a client with one is its certificate's subject")
                .define(SSL_PROTOCOL, Type.STRING, "TLSv1.3", Importance.MEDIUM, "the `SSLContext` protocol")
                .define(
                        SSL_ENABLED_PROTOCOLS,
                        Type.LIST,
                        "TLSv1.2,TLSv1.3",
                        Importance.MEDIUM,
                        "the TLS versions a client may use")
                .define(
                        SSL_CIPHER_SUITES,
                        Type.LIST,
                        "",
                        Importance.LOW,
                        "the cipher suites a client may use; empty for the JDK's defaults")
                .define(
                        SSL_ENDPOINT_IDENTIFICATION_ALGORITHM,
                        Type.STRING,
                        "https",
                        Importance.LOW,
                        "how a broker checks the certificate of another broker it connects to on a TLS inter-broker"
                                + " listener: `https` (the certificate must name the host or IP address it was"
                                + " reached at), or empty for no host name check")
                .define(
                        SSL_PRINCIPAL_MAPPING_RULES,
                        Type.STRING,
                        "DEFAULT",
                        Importance.LOW,
                        "Kafka's rules that turn a client certificate's subject into a user name"
                                + " (`RULE:pattern/replacement/[LU]`, ...); `DEFAULT` keeps the whole distinguished"
                                + " name")
                .define(
                        SSL_ALLOW_DN_CHANGES,
                        Type.BOOLEAN,
                        false,
                        Importance.LOW,
                        "whether a reloaded key store may hold certificates with another subject than the old one's")
                .define(
                        SSL_ALLOW_SAN_CHANGES,
                        Type.BOOLEAN,
                        false,
                        Importance.LOW,
                        "whether a reloaded key store may hold certificates with other subject alternative names than"
                                + " the old one's")
                .define(
                        SSL_STORE_CHECK_INTERVAL_MS,
                        Type.LONG,
                        10_000L,
                        ConfigDef.Range.atLeast(0),
                        Importance.LOW,
                        "how often the broker looks at its TLS listeners' key and trust store files (size, time,"
                                + " SHA-256) and reloads changed ones for new connections; a store that does not load or"
                                + " changes the certificate's subject or alternative names is refused with a WARN and"
                                + " the old one stays. 0: never (a dynamic update still reloads)")
                .define(
                        SASL_ENABLED_MECHANISMS,
                        Type.LIST,
                        "GSSAPI",
                        Importance.MEDIUM,
                        "the SASL mechanisms of `SASL_PLAINTEXT` and `SASL_SSL` listeners: `PLAIN`, with users from"
                                + " `listener.name.<listener>.plain.sasl.jaas.config`; `SCRAM-SHA-256` and"
                                + " `SCRAM-SHA-512`, with users in the cluster metadata (`kafka-configs.sh"
                                + " --entity-type users`) and `listener.name.<listener>.scram-sha-256.sasl.jaas.config`"
                                + " naming `ScramLoginModule`; `GSSAPI` (Kafka's default) and `OAUTHBEARER` are not"
                                + " supported yet")
                .define(
                        CONNECTIONS_MAX_REAUTH_MS,
                        Type.LONG,
                        0L,
                        ConfigDef.Range.atLeast(0),
                        Importance.MEDIUM,
                        "how long a SASL session lasts (KIP-368): a client that authenticated with SaslAuthenticate"
                                + " v1+ is told the lifetime and re-authenticates on its connection before it ends; a"
                                + " request on a connection whose session expired closes it. 0: sessions never end."
                                + " Per listener as `listener.name.<listener>.connections.max.reauth.ms`")
                .define(
                        SASL_SERVER_MAX_RECEIVE_SIZE,
                        Type.INT,
                        524288,
                        ConfigDef.Range.atLeast(1),
                        Importance.LOW,
                        "the largest request a client of a SASL listener may send before it has authenticated (its"
                                + " SASL tokens); a larger one closes the connection. After authentication"
                                + " `socket.request.max.bytes` applies")
                .define(
                        CONNECTION_FAILED_AUTHENTICATION_DELAY_MS,
                        Type.INT,
                        100,
                        ConfigDef.Range.atLeast(0),
                        Importance.LOW,
                        "how long the broker holds a failed SASL authentication's answer (and the end of the"
                                + " connection) back, as Kafka does, to slow down a client guessing passwords; the"
                                + " connection reads nothing meanwhile and no thread waits. Must be less than"
                                + " `connections.max.idle.ms`. 0: answer and close at once")
                .define(
                        AUTHORIZER_CLASS_NAME,
                        Type.STRING,
                        "",
                        // the names AclAuthorizer answers to (the security package depends on this one, not back)
                        ValidString.in(
                                "",
                                "dev.strata.broker.security.AclAuthorizer",
                                "org.apache.kafka.metadata.authorizer.StandardAuthorizer"),
                        Importance.HIGH,
                        "`dev.strata.broker.security.AclAuthorizer` (or Kafka's"
                                + " `org.apache.kafka.metadata.authorizer.StandardAuthorizer`, the same) checks every"
                                + " request against the ACLs kept in the cluster's metadata; empty, everything is"
                                + " allowed and the ACL APIs answer SECURITY_DISABLED")
                .define(
                        SUPER_USERS,
                        Type.STRING,
                        "",
                        Importance.MEDIUM,
                        "principals that may do everything, separated by semicolons (`User:admin;User:ANONYMOUS`);"
                                + " the brokers are the principal of the inter-broker listener (`User:ANONYMOUS` on a"
                                + " `PLAINTEXT` one)")
                .define(
                        ALLOW_EVERYONE_IF_NO_ACL_FOUND,
                        Type.BOOLEAN,
                        false,
                        Importance.MEDIUM,
                        "whether a resource that no ACL names is open to everyone (else only to super users)");
    }

    /**
     * The {@code ssl.*} and {@code sasl.enabled.mechanisms} settings of one listener, typed as {@link BrokerConfigs#DEF}
     * types them ({@code Password}, {@code List}): its {@code listener.name.<name>.} value, else the broker-wide one,
     * else the default (from {@code server.properties}, but {@link #DYNAMIC_STORE_SETTINGS} as the dynamic configs
     * set them). It holds secrets: never log it.
     */
    public static Map<String, Object> listenerSecurity(BrokerConfig config, String listenerName) {
        Map<String, String> values = new java.util.HashMap<>(config.staticValues());
        for (String name : dynamicStoreNames(listenerName)) {
            values.remove(name);
            String value = config.values().get(name);
            if (value != null) {
                values.put(name, value);
            }
        }
        Map<String, Object> typed = BrokerConfigs.DEF.parse(forListener(values, listenerName));
        Map<String, Object> own = new LinkedHashMap<>();
        for (String key : PER_LISTENER) {
            own.put(key, typed.get(key));
        }
        return own;
    }

    /**
     * Kafka's JAAS setting of one SASL mechanism on one listener:
     * {@code listener.name.<listener>.<mechanism>.sasl.jaas.config}, both names in lower case; empty when unset.
     */
    public static Optional<String> jaasConfig(BrokerConfig config, String listenerName, String mechanism) {
        return Optional.ofNullable(config.staticValues()
                .get(listenerPrefix(listenerName) + mechanism.toLowerCase(Locale.ROOT) + "." + SASL_JAAS_CONFIG));
    }
}
