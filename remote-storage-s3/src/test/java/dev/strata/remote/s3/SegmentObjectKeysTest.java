package dev.strata.remote.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager.IndexType;
import org.junit.jupiter.api.Test;

/** The object key layout is a pure, documented function of the segment metadata. */
class SegmentObjectKeysTest {

    private static final Uuid TOPIC_ID = Uuid.fromString("q1vR7mSvQ5mLhZk3Yf0l2A");
    private static final Uuid SEGMENT_ID = Uuid.fromString("Zb6nKx0YTmKfQw3Xz1c9Vg");

    private final RemoteLogSegmentMetadata segment = new RemoteLogSegmentMetadata(
            new RemoteLogSegmentId(new TopicIdPartition(TOPIC_ID, 3, "payments"), SEGMENT_ID),
            1_234_567L,
            1_300_000L,
            1_700_000_000_000L,
            1,
            1_700_000_000_500L,
            1024,
            Map.of(5, 1_234_567L));

    @Test
    void keyIsPrefixTopicWithIdPartitionPaddedOffsetAndSegmentUuid() {
        assertThat(new SegmentObjectKeys("tier/").key(segment, SegmentFileType.LOG))
                .isEqualTo("tier/payments-q1vR7mSvQ5mLhZk3Yf0l2A/3/00000000000001234567-Zb6nKx0YTmKfQw3Xz1c9Vg.log");
    }

    @Test
    void everyFileOfTheSegmentSharesOneStemWithKafkasSuffixes() {
        assertThat(new SegmentObjectKeys("").keys(segment).values())
                .containsExactly(
                        "payments-q1vR7mSvQ5mLhZk3Yf0l2A/3/00000000000001234567-Zb6nKx0YTmKfQw3Xz1c9Vg.log",
                        "payments-q1vR7mSvQ5mLhZk3Yf0l2A/3/00000000000001234567-Zb6nKx0YTmKfQw3Xz1c9Vg.index",
                        "payments-q1vR7mSvQ5mLhZk3Yf0l2A/3/00000000000001234567-Zb6nKx0YTmKfQw3Xz1c9Vg.timeindex",
                        "payments-q1vR7mSvQ5mLhZk3Yf0l2A/3/00000000000001234567-Zb6nKx0YTmKfQw3Xz1c9Vg.txnindex",
                        "payments-q1vR7mSvQ5mLhZk3Yf0l2A/3/00000000000001234567-Zb6nKx0YTmKfQw3Xz1c9Vg.snapshot",
                        "payments-q1vR7mSvQ5mLhZk3Yf0l2A/3/00000000000001234567-Zb6nKx0YTmKfQw3Xz1c9Vg"
                                + ".leader-epoch-checkpoint");
    }

    @Test
    void theManifestSharesTheStemAndIsNotOneOfTheSegmentsFiles() {
        SegmentObjectKeys keys = new SegmentObjectKeys("tier/");

        String manifest = keys.manifestKey(segment);

        assertThat(manifest)
                .isEqualTo(
                        "tier/payments-q1vR7mSvQ5mLhZk3Yf0l2A/3/00000000000001234567-Zb6nKx0YTmKfQw3Xz1c9Vg.manifest");
        assertThat(keys.keys(segment).values()).doesNotContain(manifest);
        assertThat(keys.isManifestKey(manifest)).isTrue();
    }

    @Test
    void onlyManifestsOfTheLayoutUnderTheExactPrefixAreManifestKeys() {
        String tail = "payments-q1vR7mSvQ5mLhZk3Yf0l2A/3/00000000000001234567-Zb6nKx0YTmKfQw3Xz1c9Vg";
        SegmentObjectKeys root = new SegmentObjectKeys("");
        SegmentObjectKeys tier = new SegmentObjectKeys("tier/");

        assertThat(root.isManifestKey(tail + ".manifest")).isTrue();
        assertThat(root.isManifestKey("tier/" + tail + ".manifest"))
                .as("another prefix's manifest")
                .isFalse();
        assertThat(tier.isManifestKey("tier/" + tail + ".manifest")).isTrue();
        assertThat(tier.isManifestKey(tail + ".manifest")).isFalse();
        assertThat(tier.isManifestKey("tier/" + tail + ".log")).isFalse();
        assertThat(tier.isManifestKey("tier/" + tail + ".manifest.bak")).isFalse();
        assertThat(tier.isManifestKey("tier/payments-q1vR7mSvQ5mLhZk3Yf0l2A/3/notes.manifest"))
                .isFalse();
    }

    @Test
    void everyIndexTypeHasItsObject() {
        for (IndexType type : IndexType.values()) {
            assertThat(SegmentFileType.of(type)).isNotEqualTo(SegmentFileType.LOG);
        }
        assertThat(SegmentFileType.of(IndexType.OFFSET).suffix()).isEqualTo("index");
        assertThat(SegmentFileType.of(IndexType.TIMESTAMP).suffix()).isEqualTo("timeindex");
        assertThat(SegmentFileType.of(IndexType.TRANSACTION).suffix()).isEqualTo("txnindex");
        assertThat(SegmentFileType.of(IndexType.PRODUCER_SNAPSHOT).suffix()).isEqualTo("snapshot");
        assertThat(SegmentFileType.of(IndexType.LEADER_EPOCH).suffix()).isEqualTo("leader-epoch-checkpoint");
    }

    @Test
    void theBundleSharesTheStemAndIsToldApartFromTheManifest() {
        SegmentObjectKeys keys = new SegmentObjectKeys("tier/");
        String bundle = keys.bundleKey(segment);

        assertThat(bundle)
                .isEqualTo(
                        "tier/payments-q1vR7mSvQ5mLhZk3Yf0l2A/3/00000000000001234567-Zb6nKx0YTmKfQw3Xz1c9Vg.indexes");
        assertThat(keys.isBundleKey(bundle)).isTrue();
        assertThat(keys.isManifestKey(bundle)).isFalse();
        assertThat(keys.isBundleKey(keys.manifestKey(segment))).isFalse();
        assertThat(new SegmentObjectKeys("").isBundleKey(bundle))
                .as("under a longer prefix")
                .isFalse();
    }

    @Test
    void aListingKeepsOneManifestPerSegmentTheManifestObjectOverTheBundle() {
        String a = "t-q1vR7mSvQ5mLhZk3Yf0l2A/0/00000000000000000000-Zb6nKx0YTmKfQw3Xz1c9Vg";
        String b = "t-q1vR7mSvQ5mLhZk3Yf0l2A/0/00000000000000001000-Ab6nKx0YTmKfQw3Xz1c9Vg";
        String c = "t-q1vR7mSvQ5mLhZk3Yf0l2A/0/00000000000000002000-Cb6nKx0YTmKfQw3Xz1c9Vg";
        String d = "t-q1vR7mSvQ5mLhZk3Yf0l2A/0/00000000000000003000-Db6nKx0YTmKfQw3Xz1c9Vg";

        try (Stream<String> latest = SegmentObjectKeys.latestManifests(Stream.of(
                a + ".indexes", a + ".manifest", b + ".indexes", c + ".manifest", d + ".indexes", d + ".manifest"))) {
            assertThat(latest).containsExactly(a + ".manifest", b + ".indexes", c + ".manifest", d + ".manifest");
        }
        assertThat(SegmentObjectKeys.latestManifests(Stream.of(b + ".indexes"))).containsExactly(b + ".indexes");
        assertThat(SegmentObjectKeys.latestManifests(Stream.empty())).isEmpty();
    }
}
