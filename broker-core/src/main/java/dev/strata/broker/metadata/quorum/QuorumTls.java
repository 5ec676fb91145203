package dev.strata.broker.metadata.quorum;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.SecurityConfigs;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.security.ssl.DefaultSslEngineFactory;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;

/**
 * The metadata quorum's transport security. With {@code listener.security.protocol.map} giving the controller
 * listener {@code SSL}, every connection to a voter's gRPC port (a voter's appends and votes, every node's writes,
 * reads and heartbeats) is mutual TLS: each side presents the certificate of the controller listener's key store and
 * must be trusted by the other's trust store ({@code listener.name.<controller>.ssl.*}, else {@code ssl.*}), so only
 * the cluster's nodes reach the quorum, which holds the ACLs and SCRAM credentials. PLAINTEXT leaves it in the clear.
 * Read once at startup; a store that does not load stops the node with the listener named, never its password.
 */
final class QuorumTls {
    static final QuorumTls NONE = new QuorumTls(null);

    private final GrpcTlsConfig tls;

    private QuorumTls(GrpcTlsConfig tls) {
        this.tls = tls;
    }

    /** The quorum security of a node with these settings. */
    static QuorumTls from(BrokerConfig config) {
        if (config.controllerProtocol() != SecurityProtocol.SSL) {
            return NONE;
        }
        String listener =
                config.get(BrokerConfig.CONTROLLER_LISTENER_NAMES).split(",")[0].trim();
        Map<String, Object> settings = SecurityConfigs.listenerSecurity(config, listener);
        if (settings.get(SecurityConfigs.SSL_KEYSTORE_LOCATION) == null
                && settings.get(SecurityConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN) == null) {
            throw new ConfigException(
                    SecurityConfigs.SSL_KEYSTORE_LOCATION,
                    null,
                    "the SSL controller listener " + listener + " needs a key store (each node's certificate): set "
                            + SecurityConfigs.listenerPrefix(listener) + SecurityConfigs.SSL_KEYSTORE_LOCATION);
        }
        DefaultSslEngineFactory stores = new DefaultSslEngineFactory();
        try {
            stores.configure(settings);
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(stores.keystore(), keyPassword(settings));
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init((KeyStore) stores.truststore());
            return new QuorumTls(new GrpcTlsConfig(keys.getKeyManagers()[0], trust.getTrustManagers()[0], true));
        } catch (KafkaException | GeneralSecurityException | IllegalArgumentException e) {
            throw new ConfigException(
                    "Cannot set up TLS for the metadata quorum's listener " + listener + ": " + e.getMessage());
        } finally {
            stores.close();
        }
    }

    private static char[] keyPassword(Map<String, Object> settings) {
        Object key = settings.get(SecurityConfigs.SSL_KEY_PASSWORD);
        Object store = settings.get(SecurityConfigs.SSL_KEYSTORE_PASSWORD);
        Object password = key != null ? key : store;
        return password == null ? new char[0] : ((Password) password).value().toCharArray();
    }

    boolean enabled() {
        return tls != null;
    }

    /** Ratis's parameters for the servers and clients of the quorum: the TLS configuration when there is one. */
    Parameters parameters() {
        Parameters parameters = new Parameters();
        if (tls != null) {
            GrpcConfigKeys.TLS.setConf(parameters, tls);
            GrpcConfigKeys.Server.setTlsConf(parameters, tls);
            GrpcConfigKeys.Client.setTlsConf(parameters, tls);
            GrpcConfigKeys.Admin.setTlsConf(parameters, tls);
        }
        return parameters;
    }
}
