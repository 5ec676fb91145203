package dev.strata.remote.s3;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager.IndexType;
import org.junit.jupiter.api.Test;

/** What the manager refuses before it talks to any store: bad settings, use before configure, bad positions. */
class S3RemoteStorageManagerTest {

    private final RemoteLogSegmentMetadata segment = new RemoteLogSegmentMetadata(
            new RemoteLogSegmentId(new TopicIdPartition(Uuid.randomUuid(), 0, "t"), Uuid.randomUuid()),
            0,
            10,
            0,
            1,
            0,
            100,
            Map.of(0, 0L));

    @Test
    void configureWithoutBucketFailsNamingTheKey() {
        S3RemoteStorageManager rsm = new S3RemoteStorageManager();

        assertThatThrownBy(() -> rsm.configure(Map.of("s3.region", "eu-west-1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("s3.bucket.name");
    }

    @Test
    void useBeforeConfigureOrAfterCloseIsAnIllegalState() {
        S3RemoteStorageManager rsm = new S3RemoteStorageManager();

        assertThatThrownBy(() -> rsm.fetchIndex(segment, IndexType.OFFSET))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not configured");

        rsm.configure(Map.of("s3.bucket.name", "b", "s3.endpoint.url", "http://127.0.0.1:9"));
        rsm.close();
        assertThatThrownBy(() -> rsm.deleteLogSegmentData(segment)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void negativeOrInvertedPositionsAreRejected() {
        S3RemoteStorageManager rsm = new S3RemoteStorageManager();
        rsm.configure(Map.of("s3.bucket.name", "b", "s3.endpoint.url", "http://127.0.0.1:9"));
        try {
            assertThatThrownBy(() -> rsm.fetchLogSegment(segment, -1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> rsm.fetchLogSegment(segment, 10, 9)).isInstanceOf(IllegalArgumentException.class);
        } finally {
            rsm.close();
        }
    }
}
