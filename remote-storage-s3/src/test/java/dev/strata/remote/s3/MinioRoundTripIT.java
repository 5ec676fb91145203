package dev.strata.remote.s3;

import dev.strata.testing.MinioStore;
import dev.strata.testing.S3Store;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The round trip against a MinIO server in Docker; skipped, never failed, where no Docker engine is present. */
@Testcontainers(disabledWithoutDocker = true)
class MinioRoundTripIT extends RemoteStorageRoundTripContract {

    @Override
    S3Store startStore() {
        return MinioStore.start();
    }
}
