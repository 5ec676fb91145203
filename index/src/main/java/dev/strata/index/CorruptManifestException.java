package dev.strata.index;

/** The bytes given as a {@link SegmentManifest} are not one: wrong magic, failed checksum, truncated or invalid. */
public final class CorruptManifestException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CorruptManifestException(String message) {
        super(message);
    }

    public CorruptManifestException(String message, Throwable cause) {
        super(message, cause);
    }
}
