package dev.strata.broker.it;

import dev.strata.testing.MinioStore;
import dev.strata.testing.S3Store;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The end-to-end scenario against a MinIO server in Docker; skipped, never failed, where no Docker engine is present. */
@Testcontainers(disabledWithoutDocker = true)
class MinioTieredStorageIT extends S3TieredStorageContract {

    @Override
    S3Store startStore() {
        return MinioStore.start();
    }
}
