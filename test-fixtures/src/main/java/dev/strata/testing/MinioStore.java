package dev.strata.testing;

import org.testcontainers.containers.MinIOContainer;

/**
 * MinIO in Docker, through Testcontainers: the S3 store of the contract tests that check Strata against a real
 * S3-compatible server. Its users skip themselves where no Docker engine is present
 * ({@code @Testcontainers(disabledWithoutDocker = true)}).
 */
public final class MinioStore implements S3Store {
    /** A MinIO release, pinned so runs compare. */
    public static final String IMAGE = "minio/minio:RELEASE.2025-04-22T22-12-26Z";

    private final MinIOContainer container;

    private MinioStore(MinIOContainer container) {
        this.container = container;
    }

    /** Starts a MinIO container and waits until it serves. */
    public static MinioStore start() {
        MinIOContainer container = new MinIOContainer(IMAGE);
        container.start();
        return new MinioStore(container);
    }

    @Override
    public String url() {
        return container.getS3URL();
    }

    @Override
    public String accessKey() {
        return container.getUserName();
    }

    @Override
    public String secretKey() {
        return container.getPassword();
    }

    @Override
    public void close() {
        container.stop();
    }
}
