package dev.strata.broker.security;

import dev.strata.broker.config.SecurityConfigs;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import javax.security.auth.x500.X500Principal;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.ssl.DefaultSslEngineFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TLS listener's engine factory that can be replaced while the broker runs, as Kafka's {@code SslFactory} is: new
 * connections get engines of the factory in effect, connections already open keep theirs. A replacement comes from a
 * dynamic update of the listener's {@code ssl.keystore.*} / {@code ssl.truststore.*} settings ({@link #reconfigure})
 * or from a periodic look at the store files ({@link #checkFiles}). Either way the new stores must load, and the new
 * key store's certificates must keep the subjects and subject alternative names of the old ones unless
 * {@code ssl.allow.dn.changes} / {@code ssl.allow.san.changes} say otherwise (Kafka's check: a rotated certificate
 * must still name the broker its clients expect); a store that fails either check is refused and the old factory stays.
 *
 * <p>Threads: engines are made on Netty event loops (no disk: the stores are in memory); {@link #checkFiles} runs on a
 * scheduler thread and {@link #reconfigure} on the dynamic config's thread, serialized by this object's lock. The
 * settings hold passwords: they are never logged, and error messages name only the listener and the failure.
 */
public final class ReloadableSsl {
    private static final Logger log = LoggerFactory.getLogger(ReloadableSsl.class);

    /** The factory in effect, the settings it was built from and the store files it read. */
    private record Loaded(DefaultSslEngineFactory factory, Map<String, Object> settings, StoreFiles files) {}

    private final String listenerName;
    private volatile Loaded loaded;
    private StoreFiles refused;

    private ReloadableSsl(String listenerName, Loaded loaded) {
        this.listenerName = listenerName;
        this.loaded = loaded;
    }

    /**
     * Loads the stores of {@code settings} (a listener's, from {@link SecurityConfigs#listenerSecurity}).
     *
     * @throws ConfigException when a store cannot be loaded
     */
    static ReloadableSsl load(String listenerName, Map<String, Object> settings) {
        return new ReloadableSsl(listenerName, build(listenerName, settings));
    }

    public String listenerName() {
        return listenerName;
    }

    /** A server-side engine of the factory in effect. */
    SSLEngine newServerEngine(String peerHost, int peerPort) {
        return loaded.factory().createServerSslEngine(peerHost, peerPort);
    }

    /**
     * The client side of a TLS connection to another broker over {@code connected}, with the factory in effect (its
     * trust store checks the peer, its key store is this broker's certificate when the peer asks for one), its enabled
     * protocols and cipher suites, and {@code endpointIdentification} ({@code https}: the peer's certificate must name
     * {@code host}); the handshake is done when it returns. For a thread that may block (not an event loop).
     *
     * @throws IOException when the handshake fails; {@code connected} is closed then
     */
    SSLSocket clientSocket(Socket connected, String host, int port, String endpointIdentification) throws IOException {
        DefaultSslEngineFactory factory = loaded.factory();
        SSLEngine engine = factory.createClientSslEngine(host, port, endpointIdentification);
        SSLSocket socket =
                (SSLSocket) factory.sslContext().getSocketFactory().createSocket(connected, host, port, true);
        try {
            socket.setSSLParameters(engine.getSSLParameters());
            socket.setUseClientMode(true);
            socket.startHandshake();
            return socket;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Checks that {@code settings} would be accepted by {@link #reconfigure}, without putting them in effect.
     *
     * @throws ConfigException naming why not (never a password)
     */
    public synchronized void validate(Map<String, Object> settings) {
        Loaded next = build(listenerName, settings);
        try {
            ensureCompatible(loaded, next);
        } finally {
            closeQuietly(next.factory());
        }
    }

    /**
     * Puts {@code settings} in effect for new connections, when they differ from those in effect or their files changed.
     *
     * @throws ConfigException when a store does not load or its certificate may not replace the old one; the old
     *     factory stays in effect
     */
    public synchronized void reconfigure(Map<String, Object> settings) {
        Loaded current = loaded;
        if (current.settings().equals(withoutNulls(settings))
                && current.files().equals(StoreFiles.read(paths(settings)))) {
            return;
        }
        Loaded next = build(listenerName, settings);
        try {
            ensureCompatible(current, next);
        } catch (ConfigException e) {
            closeQuietly(next.factory());
            throw e;
        }
        swap(next);
        log.info("Listener {} uses its new TLS key and trust stores for new connections", listenerName);
    }

    /**
     * Reloads the stores when their files changed since they were loaded (and since the last refused reload); a store
     * that does not load (written half, say) or does not pass the checks is refused with a WARN, once per content, and
     * the factory in effect stays. For a scheduler thread: it reads the files.
     */
    public synchronized void checkFiles() {
        Loaded current = loaded;
        StoreFiles now = StoreFiles.read(paths(current.settings()));
        switch (StoreFiles.decide(current.files(), refused, now)) {
            case UNCHANGED, ALREADY_REFUSED -> {
                return;
            }
            case RELOAD -> {}
        }
        Loaded next;
        try {
            next = build(listenerName, current.settings());
            try {
                ensureCompatible(current, next);
            } catch (ConfigException e) {
                closeQuietly(next.factory());
                throw e;
            }
        } catch (ConfigException e) {
            refused = now;
            log.warn(
                    "Listener {}: the changed TLS store files are refused, the old certificates stay in use: {}",
                    listenerName,
                    e.getMessage());
            return;
        }
        if (!next.files().equals(now)) {
            // changed again while it loaded: the next check loads the final copy
            closeQuietly(next.factory());
            return;
        }
        swap(next);
        log.info("Listener {} reloaded its changed TLS store files for new connections", listenerName);
    }

    private void swap(Loaded next) {
        Loaded old = loaded;
        loaded = next;
        refused = null;
        closeQuietly(old.factory());
    }

    private static Loaded build(String listenerName, Map<String, Object> settings) {
        List<Path> paths = paths(settings);
        StoreFiles before = StoreFiles.read(paths);
        DefaultSslEngineFactory factory = new DefaultSslEngineFactory();
        try {
            factory.configure(settings);
        } catch (KafkaException | IllegalArgumentException e) {
            // Kafka's messages name the store and the failure, not its password
            Throwable cause = e.getCause();
            String why = cause == null
                    ? ""
                    : " ("
                            + (cause.getMessage() != null
                                    ? cause.getMessage()
                                    : cause.getClass().getSimpleName()) + ")";
            throw new ConfigException("Cannot set up TLS for listener " + listenerName + ": " + e.getMessage() + why);
        }
        return new Loaded(factory, Map.copyOf(withoutNulls(settings)), before);
    }

    /** The store files of the settings: the key store's location, then the trust store's, those that are set. */
    private static List<Path> paths(Map<String, Object> settings) {
        List<Path> paths = new ArrayList<>();
        for (String key : List.of(SecurityConfigs.SSL_KEYSTORE_LOCATION, SecurityConfigs.SSL_TRUSTSTORE_LOCATION)) {
            Object location = settings.get(key);
            if (location != null) {
                paths.add(Path.of(location.toString()));
            }
        }
        return paths;
    }

    private static Map<String, Object> withoutNulls(Map<String, Object> settings) {
        Map<String, Object> copy = new java.util.HashMap<>(settings);
        copy.values().removeIf(Objects::isNull);
        return copy;
    }

    /** Kafka's rule for a rotated key store: the same subjects and alternative names, unless the settings allow else. */
    private static void ensureCompatible(Loaded current, Loaded next) {
        KeyStore before = current.factory().keystore();
        KeyStore after = next.factory().keystore();
        if (before == null || after == null) {
            return;
        }
        boolean allowDn = Boolean.TRUE.equals(next.settings().get(SecurityConfigs.SSL_ALLOW_DN_CHANGES));
        boolean allowSan = Boolean.TRUE.equals(next.settings().get(SecurityConfigs.SSL_ALLOW_SAN_CHANGES));
        ensureCompatible(identities(before), identities(after), allowDn, allowSan);
    }

    /** The subject and alternative names of one certificate of a key store's key entry. */
    record Identity(X500Principal subject, Set<List<?>> alternativeNames) {}

    /**
     * Refuses a new key store whose certificates do not name what the old ones named.
     *
     * @throws ConfigException naming the subjects or alternative names that differ
     */
    static void ensureCompatible(List<Identity> before, List<Identity> after, boolean allowDn, boolean allowSan) {
        Set<X500Principal> oldSubjects = new HashSet<>();
        Set<X500Principal> newSubjects = new HashSet<>();
        Set<Set<List<?>>> oldNames = new HashSet<>();
        Set<Set<List<?>>> newNames = new HashSet<>();
        before.forEach(i -> {
            oldSubjects.add(i.subject());
            oldNames.add(i.alternativeNames());
        });
        after.forEach(i -> {
            newSubjects.add(i.subject());
            newNames.add(i.alternativeNames());
        });
        if (!allowDn && !oldSubjects.equals(newSubjects)) {
            throw new ConfigException("Keystore DistinguishedName does not match: existing " + oldSubjects + ", new "
                    + newSubjects + " (set " + SecurityConfigs.SSL_ALLOW_DN_CHANGES + "=true to allow it)");
        }
        if (!allowSan && !oldNames.equals(newNames)) {
            throw new ConfigException("Keystore SubjectAltNames do not match: existing " + oldNames + ", new "
                    + newNames + " (set " + SecurityConfigs.SSL_ALLOW_SAN_CHANGES + "=true to allow it)");
        }
    }

    static List<Identity> identities(KeyStore store) {
        try {
            List<Identity> identities = new ArrayList<>();
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias) && store.getCertificate(alias) instanceof X509Certificate cert) {
                    Collection<List<?>> names = cert.getSubjectAlternativeNames();
                    identities.add(
                            new Identity(cert.getSubjectX500Principal(), names == null ? Set.of() : Set.copyOf(names)));
                }
            }
            return identities;
        } catch (KeyStoreException | CertificateParsingException e) {
            throw new ConfigException("Cannot read the certificates of the new key store: " + e.getMessage());
        }
    }

    private static void closeQuietly(DefaultSslEngineFactory factory) {
        try {
            factory.close();
        } catch (Exception e) {
            log.debug("Closing an unused TLS engine factory failed", e);
        }
    }
}
