package dev.strata.tiering;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key-encryption keys (KEKs) a broker holds, by id: AES keys that wrap the random data key of each encrypted
 * remote segment. They come from a key file (a Java properties file of {@code <key id>=<base64 of a 32-byte key>}
 * lines) and from a PKCS12 or JCEKS keystore (each secret-key entry, its alias the key id), or both.
 *
 * <p>A data key is wrapped with AES-GCM under the KEK: a random 12-byte nonce, then the sealed 32-byte key and its
 * 16-byte tag, with the key id as additional data. A KEK that does not open a wrapped key (the id was reused for
 * other key bytes) is told apart from corrupt data: both that and a missing id are a {@link KafkaStorageException}
 * naming the key id, an operator's matter, never a read of wrong bytes.
 *
 * <p>Keystores keep aliases in lower case, so key ids are matched without regard to case. Key bytes are never logged,
 * nor is the keystore password. Immutable and thread-safe.
 */
public final class KeyEncryptionKeys {

    private static final Logger log = LoggerFactory.getLogger(KeyEncryptionKeys.class);
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, SecretKey> keys;

    KeyEncryptionKeys(Map<String, SecretKey> keys) {
        Map<String, SecretKey> byId = new TreeMap<>();
        keys.forEach((id, key) -> byId.put(normalize(id), key));
        this.keys = Collections.unmodifiableMap(byId);
    }

    /**
     * The keys of a key file and a keystore, either of which may be absent.
     *
     * @throws ConfigException naming the setting, if a file cannot be read or holds a key that is not AES
     */
    public static KeyEncryptionKeys load(Path keyFile, Path keystore, String keystoreType, String keystorePassword) {
        Map<String, SecretKey> keys = new TreeMap<>();
        if (keyFile != null) {
            keys.putAll(readKeyFile(keyFile));
        }
        if (keystore != null) {
            readKeystore(keystore, keystoreType, keystorePassword).forEach((id, key) -> {
                if (keys.containsKey(normalize(id))) {
                    throw new ConfigException(
                            RemoteEncryptionConfig.KEYSTORE_LOCATION_CONFIG,
                            keystore.toString(),
                            "key id '" + id + "' is also in " + RemoteEncryptionConfig.KEY_FILE_CONFIG);
                }
                keys.put(normalize(id), key);
            });
        }
        return new KeyEncryptionKeys(keys);
    }

    /** The ids of the keys held, in lower case. */
    public Set<String> ids() {
        return keys.keySet();
    }

    /** Whether a key of this id is held. */
    public boolean contains(String keyId) {
        return keys.containsKey(normalize(keyId));
    }

    /** {@code dataKey} sealed under the KEK {@code keyId}, which must be held. */
    byte[] wrap(String keyId, SecretKey dataKey) {
        SecretKey kek = keys.get(normalize(keyId));
        if (kek == null) {
            throw new IllegalArgumentException("No key-encryption key with id '" + keyId + "'");
        }
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.ENCRYPT_MODE, kek, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(aad(keyId));
            byte[] sealed = cipher.doFinal(dataKey.getEncoded());
            return ByteBuffer.allocate(NONCE_BYTES + sealed.length)
                    .put(nonce)
                    .put(sealed)
                    .array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Wrapping a data key failed: " + e, e);
        }
    }

    /**
     * The data key that {@link #wrap} sealed under {@code keyId}.
     *
     * @param segment names the segment in the error
     * @throws KafkaStorageException if no key of that id is held, or the key held under it does not open the data key
     */
    SecretKey unwrap(String keyId, byte[] wrapped, String segment) {
        SecretKey kek = keys.get(normalize(keyId));
        if (kek == null) {
            throw new KafkaStorageException("Remote segment " + segment + " is encrypted with key-encryption key '"
                    + keyId + "', which this broker does not hold: add it to "
                    + RemoteEncryptionConfig.KEY_FILE_CONFIG + " or " + RemoteEncryptionConfig.KEYSTORE_LOCATION_CONFIG
                    + " (keys held: " + keys.keySet() + ")");
        }
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.DECRYPT_MODE, kek, new GCMParameterSpec(TAG_BITS, wrapped, 0, NONCE_BYTES));
            cipher.updateAAD(aad(keyId));
            byte[] key = cipher.doFinal(wrapped, NONCE_BYTES, wrapped.length - NONCE_BYTES);
            return new SecretKeySpec(key, "AES");
        } catch (AEADBadTagException e) {
            throw new KafkaStorageException("The key-encryption key held as '" + keyId + "' does not open the data"
                    + " key of remote segment " + segment + ": it is not the key the segment was written with");
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new KafkaStorageException(
                    "The data key of remote segment " + segment + " under key '" + keyId + "' cannot be opened: " + e);
        }
    }

    private static byte[] aad(String keyId) {
        return ("strata-remote-data-key:" + normalize(keyId)).getBytes(StandardCharsets.UTF_8);
    }

    private static String normalize(String keyId) {
        return keyId.trim().toLowerCase(Locale.ROOT);
    }

    private static Map<String, SecretKey> readKeyFile(Path file) {
        warnIfOthersMayRead(file);
        Properties lines = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            lines.load(in);
        } catch (IOException e) {
            throw new ConfigException(RemoteEncryptionConfig.KEY_FILE_CONFIG, file.toString(), "cannot be read: " + e);
        }
        Map<String, SecretKey> keys = new TreeMap<>();
        for (String id : lines.stringPropertyNames()) {
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(lines.getProperty(id).trim());
            } catch (IllegalArgumentException e) {
                throw new ConfigException(
                        RemoteEncryptionConfig.KEY_FILE_CONFIG, file.toString(), "the key '" + id + "' is not base64");
            }
            keys.put(normalize(id), aesKey(bytes, id, RemoteEncryptionConfig.KEY_FILE_CONFIG, file));
        }
        return keys;
    }

    private static Map<String, SecretKey> readKeystore(Path file, String type, String password) {
        char[] secret = password == null ? null : password.toCharArray();
        Map<String, SecretKey> keys = new TreeMap<>();
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance(type);
            store.load(in, secret);
            KeyStore.ProtectionParameter protection = new KeyStore.PasswordProtection(secret);
            for (String alias : Collections.list(store.aliases())) {
                if (store.entryInstanceOf(alias, KeyStore.SecretKeyEntry.class)) {
                    KeyStore.SecretKeyEntry entry = (KeyStore.SecretKeyEntry) store.getEntry(alias, protection);
                    SecretKey key = entry.getSecretKey();
                    keys.put(
                            normalize(alias),
                            aesKey(key.getEncoded(), alias, RemoteEncryptionConfig.KEYSTORE_LOCATION_CONFIG, file));
                }
            }
        } catch (IOException | GeneralSecurityException e) {
            // the exception's message never holds the password
            throw new ConfigException(
                    RemoteEncryptionConfig.KEYSTORE_LOCATION_CONFIG,
                    file.toString(),
                    "cannot be read as a " + type + " keystore: " + e.getMessage());
        }
        return keys;
    }

    /** Keys in a file others may read are not secret: said once, at startup, without refusing to start. */
    private static void warnIfOthersMayRead(Path file) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.GROUP_READ)
                    || permissions.contains(PosixFilePermission.OTHERS_READ)) {
                log.warn(
                        "The remote tier's key file {} may be read by its group or others ({}): chmod 600 it",
                        file,
                        PosixFilePermissions.toString(permissions));
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not a POSIX file system, or unreadable: reading it says so
        }
    }

    private static SecretKey aesKey(byte[] bytes, String id, String setting, Path file) {
        if (bytes.length != 16 && bytes.length != 24 && bytes.length != 32) {
            throw new ConfigException(
                    setting,
                    file.toString(),
                    "the key '" + id + "' has " + bytes.length
                            + " bytes; an AES key has 16, 24 or 32 (32 for AES-256)");
        }
        return new SecretKeySpec(bytes, "AES");
    }
}
