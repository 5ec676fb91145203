package dev.strata.broker.it;

import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The end-to-end scenario against a MinIO server in Docker; skipped, never failed, where no Docker engine is present. */
@Testcontainers(disabledWithoutDocker = true)
class MinioTieredStorageIT extends S3TieredStorageContract {

    private static final String IMAGE = "minio/minio:RELEASE.2025-04-22T22-12-26Z";

    private MinIOContainer minio;

    @Override
    void startStore() {
        minio = new MinIOContainer(IMAGE);
        minio.start();
    }

    @Override
    void stopStore() {
        if (minio != null) {
            minio.stop();
        }
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
