package dev.strata.broker.security;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * What a TLS listener's key and trust store files hold at one moment: for each file its size, modification time and
 * the SHA-256 of its bytes (a copy that keeps the size and the time is still seen), or that it is missing. Two
 * snapshots that are equal mean the files did not change; {@link #decide} says whether a periodic check must rebuild
 * the listener's TLS engines.
 *
 * @param files one entry per configured store file, in a fixed order (key store, then trust store)
 */
record StoreFiles(List<FileState> files) {

    /** A file's size, modification time and content hash; all zero and {@code "missing"} when it cannot be read. */
    record FileState(Path path, long size, long modifiedMillis, String sha256) {
        static FileState of(Path path) {
            try {
                long size = Files.size(path);
                long modified = Files.getLastModifiedTime(path).toMillis();
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                try (InputStream in = Files.newInputStream(path)) {
                    byte[] buffer = new byte[8192];
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        digest.update(buffer, 0, n);
                    }
                }
                return new FileState(path, size, modified, HexFormat.of().formatHex(digest.digest()));
            } catch (IOException e) {
                return new FileState(path, 0, 0, "missing");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-256", e);
            }
        }
    }

    /** What a periodic check does. */
    enum Decision {
        /** The files are those of the engines in use: nothing to do. */
        UNCHANGED,
        /** The files are those a reload already refused (a half-written copy, a wrong password): wait for a change. */
        ALREADY_REFUSED,
        /** The files changed since the engines in use and since the last refusal: try to rebuild the engines. */
        RELOAD
    }

    /** The files at {@code paths} (the locations of the key and trust stores that are set) as they are now. */
    static StoreFiles read(List<Path> paths) {
        return new StoreFiles(paths.stream().map(FileState::of).toList());
    }

    /**
     * Whether the files as they are {@code now} must be loaded.
     *
     * @param inUse the files the engines in use were built from
     * @param refused the files the last refused reload read, or null
     */
    static Decision decide(StoreFiles inUse, StoreFiles refused, StoreFiles now) {
        if (now.equals(inUse)) {
            return Decision.UNCHANGED;
        }
        if (Objects.equals(now, refused)) {
            return Decision.ALREADY_REFUSED;
        }
        return Decision.RELOAD;
    }
}
