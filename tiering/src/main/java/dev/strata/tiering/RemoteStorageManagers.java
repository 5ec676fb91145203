package dev.strata.tiering;

import dev.strata.storage.api.RemoteObjectStorage;
import dev.strata.storage.api.SegmentManifestStorage;
import java.lang.reflect.InvocationTargetException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a storage backend by class name, the way {@code remote.log.storage.manager.class.name} names it: Strata's own
 * ({@link FileSystemRemoteStorageManager}, {@code dev.strata.remote.s3.S3RemoteStorageManager}) or any third-party
 * {@link RemoteStorageManager} on the classpath.
 */
public final class RemoteStorageManagers {
    private static final Logger log = LoggerFactory.getLogger(RemoteStorageManagers.class);

    /** The broker setting that names the backend class. */
    public static final String CLASS_NAME_CONFIG = "remote.log.storage.manager.class.name";
    /** The prefix of the backend's own settings in the broker's configuration. */
    public static final String CONFIG_PREFIX = "rsm.config.";

    private RemoteStorageManagers() {}

    /**
     * Instantiates {@code className} with its public no-argument constructor and configures it.
     *
     * @param rsmConfigs the backend's settings, with the {@code rsm.config.} prefix already removed (see
     *     {@link #rsmConfigs(Map)})
     * @throws ConfigException if the class is missing, is not a {@link RemoteStorageManager}, cannot be instantiated,
     *     or rejects its configuration
     */
    public static RemoteStorageManager load(String className, Map<String, ?> rsmConfigs) {
        if (className == null || className.isBlank()) {
            throw new ConfigException(CLASS_NAME_CONFIG + " is not set: name a RemoteStorageManager class, for example "
                    + FileSystemRemoteStorageManager.class.getName());
        }
        String name = className.trim();
        Class<?> type;
        try {
            type = Class.forName(name, true, classLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw configException(name, "the class is not on the classpath (" + e + ")", e);
        }
        if (!RemoteStorageManager.class.isAssignableFrom(type)) {
            throw configException(name, "the class does not implement " + RemoteStorageManager.class.getName(), null);
        }
        RemoteStorageManager manager;
        try {
            manager =
                    type.asSubclass(RemoteStorageManager.class).getConstructor().newInstance();
        } catch (NoSuchMethodException | IllegalAccessException | InstantiationException e) {
            throw configException(name, "the class needs a public no-argument constructor", e);
        } catch (InvocationTargetException e) {
            throw configException(name, "its constructor failed: " + e.getCause(), e.getCause());
        }
        try {
            manager.configure(rsmConfigs);
        } catch (RuntimeException e) {
            closeQuietly(manager, e);
            if (e instanceof ConfigException) {
                throw e;
            }
            throw configException(name, "configure() failed: " + e, e);
        }
        return manager;
    }

    /**
     * Where {@code storage} keeps segment manifests, from which a lost remote index is rebuilt: the backend itself when
     * it implements {@link SegmentManifestStorage} (Strata's filesystem and S3 backends do); empty, and a warning
     * logged, for a backend that knows only Kafka's SPI.
     */
    public static Optional<SegmentManifestStorage> manifestStorage(RemoteStorageManager storage) {
        if (storage instanceof EncryptedRemoteStorage encrypted && !encrypted.keepsManifests()) {
            return manifestStorage(encrypted.backend());
        }
        if (storage instanceof SegmentManifestStorage manifests) {
            return Optional.of(manifests);
        }
        log.warn(
                "{} keeps no segment manifests: if the remote index is lost, it cannot be rebuilt from the remote tier",
                storage.getClass().getName());
        return Optional.empty();
    }

    /**
     * Where {@code storage} lists its objects for the orphan scrub: the backend itself when it implements
     * {@link RemoteObjectStorage} (also behind {@link EncryptedRemoteStorage}, which encrypts no object key); empty
     * otherwise.
     */
    public static Optional<RemoteObjectStorage> objectStorage(RemoteStorageManager storage) {
        RemoteStorageManager backend =
                storage instanceof EncryptedRemoteStorage encrypted ? encrypted.backend() : storage;
        return backend instanceof RemoteObjectStorage objects ? Optional.of(objects) : Optional.empty();
    }

    /** The backend's settings out of a broker configuration: every {@code rsm.config.*} key, without the prefix. */
    public static Map<String, Object> rsmConfigs(Map<String, ?> brokerConfigs) {
        Map<String, Object> configs = new HashMap<>();
        brokerConfigs.forEach((key, value) -> {
            if (key.startsWith(CONFIG_PREFIX) && key.length() > CONFIG_PREFIX.length()) {
                configs.put(key.substring(CONFIG_PREFIX.length()), value);
            }
        });
        return configs;
    }

    private static ClassLoader classLoader() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : RemoteStorageManagers.class.getClassLoader();
    }

    private static ConfigException configException(String className, String reason, Throwable cause) {
        ConfigException e = new ConfigException(CLASS_NAME_CONFIG, className, reason);
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }

    private static void closeQuietly(RemoteStorageManager manager, Exception failure) {
        try {
            manager.close();
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
    }
}
