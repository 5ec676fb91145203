package dev.strata.remote.s3;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The SHA-256 digest that {@link S3RemoteStorageManager} stores with every object (user metadata
 * {@value #METADATA_KEY}, sent as {@code x-amz-meta-sha256}) and checks whenever a whole object is read back.
 *
 * <p>It is computed from the broker's own file before the upload starts, so it covers the bytes end to end: a store
 * that loses or flips bits, a proxy that truncates, or an object replaced behind the broker's back is detected. S3's
 * own additional checksum (CRC32C) protects the upload itself and is checked by the store, but a multipart object's
 * CRC32C is a checksum of part checksums that a reader cannot recompute without knowing the part size, and stores
 * differ in what they return, hence this one.
 */
final class Sha256 {

    /** Name of the user-metadata entry that holds the lowercase hex digest. */
    static final String METADATA_KEY = "sha256";

    private Sha256() {}

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    static String hex(MessageDigest digest) {
        return HexFormat.of().formatHex(digest.digest());
    }

    static String of(Path file) throws IOException {
        MessageDigest digest = newDigest();
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        return hex(digest);
    }

    static String of(ByteBuffer bytes) {
        MessageDigest digest = newDigest();
        digest.update(bytes.duplicate());
        return hex(digest);
    }

    static String of(byte[] bytes) {
        MessageDigest digest = newDigest();
        digest.update(bytes);
        return hex(digest);
    }
}
