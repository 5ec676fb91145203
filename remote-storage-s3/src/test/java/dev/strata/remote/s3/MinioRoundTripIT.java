package dev.strata.remote.s3;

import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The round trip against a MinIO server in Docker; skipped, never failed, where no Docker engine is present. */
@Testcontainers(disabledWithoutDocker = true)
class MinioRoundTripIT extends RemoteStorageRoundTripContract {

    private static final String IMAGE = "minio/minio:RELEASE.2025-04-22T22-12-26Z";

    private MinIOContainer minio;

    @Override
    void startStore() {
        minio = new MinIOContainer(IMAGE);
        minio.start();
    }

    @Override
    void stopStore() {
        minio.stop();
    }

    @Override
    String endpoint() {
        return minio.getS3URL();
    }

    @Override
    String accessKey() {
        return minio.getUserName();
    }

    @Override
    String secretKey() {
        return minio.getPassword();
    }
}
