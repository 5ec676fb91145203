package dev.strata.tiering;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * The settings of client-side encryption of the remote tier ({@link EncryptedRemoteStorage}), read from the broker's
 * configuration.
 *
 * @param enabled {@code remote.log.encryption.enable}: encrypt the segments copied from now on
 * @param activeKeyId the key-encryption key that wraps the data keys of new segments
 * @param keyFile a properties file of {@code <key id>=<base64 AES key>} lines
 * @param keystore a PKCS12 or JCEKS keystore whose secret-key entries are keys, by alias
 * @param keystoreType {@code PKCS12} or {@code JCEKS}
 * @param keystorePassword the keystore's password, also that of its entries (hidden in {@code toString})
 * @param chunkSize plaintext bytes per encrypted chunk, recorded with each segment
 */
public record RemoteEncryptionConfig(
        boolean enabled,
        String activeKeyId,
        Optional<Path> keyFile,
        Optional<Path> keystore,
        String keystoreType,
        Password keystorePassword,
        int chunkSize) {

    public static final String ENABLE_CONFIG = "remote.log.encryption.enable";
    public static final String ACTIVE_KEY_ID_CONFIG = "remote.log.encryption.active.key.id";
    public static final String KEY_FILE_CONFIG = "remote.log.encryption.key.file";
    public static final String KEYSTORE_LOCATION_CONFIG = "remote.log.encryption.keystore.location";
    public static final String KEYSTORE_TYPE_CONFIG = "remote.log.encryption.keystore.type";
    public static final String KEYSTORE_PASSWORD_CONFIG = "remote.log.encryption.keystore.password";
    public static final String CHUNK_SIZE_CONFIG = "remote.log.encryption.chunk.size";

    /** The default plaintext bytes per chunk: a 16-byte tag per 64 KiB costs 0.02 % of the bucket. */
    public static final int DEFAULT_CHUNK_SIZE = 64 * 1024;

    public RemoteEncryptionConfig {
        if (enabled && activeKeyId.isBlank()) {
            throw new ConfigException(
                    ACTIVE_KEY_ID_CONFIG, activeKeyId, "must name a key when " + ENABLE_CONFIG + " is true");
        }
        if (enabled && keyFile.isEmpty() && keystore.isEmpty()) {
            throw new ConfigException(
                    ENABLE_CONFIG, true, "needs keys: set " + KEY_FILE_CONFIG + " or " + KEYSTORE_LOCATION_CONFIG);
        }
        if (chunkSize < 1024) {
            throw new ConfigException(CHUNK_SIZE_CONFIG, chunkSize, "must be at least 1024");
        }
    }

    /** Encryption off and no keys: the remote tier is read and written as the backend stores it. */
    public static RemoteEncryptionConfig disabled() {
        return new RemoteEncryptionConfig(
                false, "", Optional.empty(), Optional.empty(), "PKCS12", null, DEFAULT_CHUNK_SIZE);
    }

    /** Whether any key is configured: then encrypted segments can be read, whether or not new ones are encrypted. */
    public boolean keysConfigured() {
        return keyFile.isPresent() || keystore.isPresent();
    }

    /**
     * Loads the configured keys, and checks that the active one is among them when encryption is on.
     *
     * @throws ConfigException if a key source cannot be read or the active key is missing
     */
    public KeyEncryptionKeys loadKeys() {
        KeyEncryptionKeys keys = KeyEncryptionKeys.load(
                keyFile.orElse(null),
                keystore.orElse(null),
                keystoreType,
                keystorePassword == null ? null : keystorePassword.value());
        if (enabled && !keys.contains(activeKeyId)) {
            throw new ConfigException(
                    ACTIVE_KEY_ID_CONFIG, activeKeyId, "no key of that id is configured (ids: " + keys.ids() + ")");
        }
        return keys;
    }

    /** The settings' definitions, defaults and documentation. */
    public static ConfigDef configDef() {
        return new ConfigDef()
                .define(
                        ENABLE_CONFIG,
                        Type.BOOLEAN,
                        false,
                        Importance.MEDIUM,
                        "encrypt what the broker writes to the remote tier from now on (AES-256-GCM, a data key per"
                                + " segment wrapped by the active key); segments written before stay readable")
                .define(
                        ACTIVE_KEY_ID_CONFIG,
                        Type.STRING,
                        "",
                        Importance.MEDIUM,
                        "id of the key-encryption key that wraps the data keys of new segments")
                .define(
                        KEY_FILE_CONFIG,
                        Type.STRING,
                        "",
                        Importance.MEDIUM,
                        "properties file of `<key id>=<base64 AES key>` lines: every key a segment may need")
                .define(
                        KEYSTORE_LOCATION_CONFIG,
                        Type.STRING,
                        "",
                        Importance.MEDIUM,
                        "PKCS12 or JCEKS keystore whose secret-key entries are key-encryption keys (alias = key id)")
                .define(
                        KEYSTORE_TYPE_CONFIG,
                        Type.STRING,
                        "PKCS12",
                        ValidString.in("PKCS12", "JCEKS"),
                        Importance.LOW,
                        "type of the encryption keystore")
                .define(
                        KEYSTORE_PASSWORD_CONFIG,
                        Type.PASSWORD,
                        null,
                        Importance.MEDIUM,
                        "password of the encryption keystore and its entries")
                .define(
                        CHUNK_SIZE_CONFIG,
                        Type.INT,
                        DEFAULT_CHUNK_SIZE,
                        Range.atLeast(1024),
                        Importance.LOW,
                        "plaintext bytes per independently decryptable chunk of new encrypted segments");
    }

    /** Reads the settings from a configuration map, applying defaults. */
    public static RemoteEncryptionConfig from(Map<String, ?> configs) {
        Map<String, Object> values = configDef().parse(configs);
        return new RemoteEncryptionConfig(
                (Boolean) values.get(ENABLE_CONFIG),
                ((String) values.get(ACTIVE_KEY_ID_CONFIG)).trim(),
                path((String) values.get(KEY_FILE_CONFIG)),
                path((String) values.get(KEYSTORE_LOCATION_CONFIG)),
                (String) values.get(KEYSTORE_TYPE_CONFIG),
                (Password) values.get(KEYSTORE_PASSWORD_CONFIG),
                (Integer) values.get(CHUNK_SIZE_CONFIG));
    }

    private static Optional<Path> path(String value) {
        return value.isBlank() ? Optional.empty() : Optional.of(Path.of(value.trim()));
    }
}
