package dev.strata.broker.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The two SCRAM mechanisms Kafka offers (RFC 5802 with the hashes of RFC 7677 and RFC 5802's SHA-512 sibling), with
 * the type byte Kafka's AlterUserScramCredentials and DescribeUserScramCredentials carry, and the functions of RFC
 * 5802 section 2.2 that derive a credential from a salted password. Stateless; any thread.
 */
public enum ScramMechanism {
    SCRAM_SHA_256("SCRAM-SHA-256", (byte) 1, "SHA-256", "HmacSHA256"),
    SCRAM_SHA_512("SCRAM-SHA-512", (byte) 2, "SHA-512", "HmacSHA512");

    /** Kafka's floor for a stored credential's iteration count: below it a client is refused. */
    public static final int MIN_ITERATIONS = 4096;
    /** Kafka's ceiling for the iteration count of a new credential (AlterUserScramCredentials). */
    public static final int MAX_ITERATIONS = 16384;

    private static final byte[] CLIENT_KEY = "Client Key".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SERVER_KEY = "Server Key".getBytes(StandardCharsets.US_ASCII);

    private final String mechanismName;
    private final byte type;
    private final String hashAlgorithm;
    private final String macAlgorithm;

    ScramMechanism(String mechanismName, byte type, String hashAlgorithm, String macAlgorithm) {
        this.mechanismName = mechanismName;
        this.type = type;
        this.hashAlgorithm = hashAlgorithm;
        this.macAlgorithm = macAlgorithm;
    }

    /** The SASL name, {@code SCRAM-SHA-256} or {@code SCRAM-SHA-512}. */
    public String mechanismName() {
        return mechanismName;
    }

    /** Kafka's wire code: 1 for SHA-256, 2 for SHA-512 (0 is UNKNOWN there). */
    public byte type() {
        return type;
    }

    public static Optional<ScramMechanism> forName(String name) {
        return Arrays.stream(values()).filter(m -> m.mechanismName.equals(name)).findFirst();
    }

    public static Optional<ScramMechanism> forType(byte type) {
        return Arrays.stream(values()).filter(m -> m.type == type).findFirst();
    }

    byte[] hash(byte[] bytes) {
        try {
            return MessageDigest.getInstance(hashAlgorithm).digest(bytes);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(hashAlgorithm + " is missing from the JDK", e);
        }
    }

    byte[] hmac(byte[] key, byte[] bytes) {
        try {
            Mac mac = Mac.getInstance(macAlgorithm);
            mac.init(new SecretKeySpec(key, macAlgorithm));
            return mac.doFinal(bytes);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(macAlgorithm + " is missing from the JDK", e);
        }
    }

    /** RFC 5802's {@code Hi(password, salt, i)}: PBKDF2 with this mechanism's HMAC and one block of output. */
    public byte[] saltedPassword(String password, byte[] salt, int iterations) {
        byte[] key = password.getBytes(StandardCharsets.UTF_8);
        byte[] block = Arrays.copyOf(salt, salt.length + 4);
        block[block.length - 1] = 1; // INT(1), big-endian
        byte[] u = hmac(key, block);
        byte[] result = u.clone();
        for (int i = 1; i < iterations; i++) {
            u = hmac(key, u);
            for (int b = 0; b < result.length; b++) {
                result[b] ^= u[b];
            }
        }
        return result;
    }

    /** What the broker keeps of a salted password: StoredKey = H(HMAC(salted, "Client Key")), ServerKey. */
    public ScramCredential credential(byte[] salt, byte[] saltedPassword, int iterations) {
        byte[] storedKey = hash(hmac(saltedPassword, CLIENT_KEY));
        byte[] serverKey = hmac(saltedPassword, SERVER_KEY);
        return new ScramCredential(salt, storedKey, serverKey, iterations);
    }
}
