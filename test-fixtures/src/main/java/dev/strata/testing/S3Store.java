package dev.strata.testing;

/**
 * An S3-compatible store a test talks to through the real S3 protocol: S3Proxy in this JVM ({@link S3ProxyEndpoint}),
 * or MinIO in Docker ({@link MinioStore}). The backend tests and the end-to-end tiering tests run one contract against
 * each.
 */
public interface S3Store extends AutoCloseable {

    /** {@code http://127.0.0.1:<port>}. */
    String url();

    String accessKey();

    String secretKey();

    /** Stops the store; what it held is gone unless it keeps it on disk. */
    @Override
    void close() throws Exception;
}
