package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.strata.bench.S3RequestCounter.Kind;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The arithmetic of {@code bench tiered}: request costs per GiB, and where and how the cold fetches are sampled. */
class TieredBenchTest {
    private static final double GIB = 1L << 30;

    @Test
    void requestsArePricedPerGibBesideTheComputedOneObjectPerFileLayout() {
        long bytes = 1L << 30; // one GiB in 1,024 segments
        RequestCosts costs =
                new RequestCosts(counts(Kind.PUT, 2048, Kind.LIST, 1), counts(Kind.GET, 1024), 1024, bytes);

        assertThat(costs.putsPerGib()).isEqualTo(2048);
        assertThat(costs.getsPerGibReplayed()).isEqualTo(1024);
        assertThat(costs.listsPerGib()).isEqualTo(1);
        assertThat(costs.uploadDollarsPerGib()).isCloseTo(2049 * 0.005 / 1000, within(1e-12));
        assertThat(costs.replayDollarsPerGib()).isCloseTo(1024 * 0.0004 / 1000, within(1e-12));
        assertThat(costs.perFilePutsPerGib()).isEqualTo(5 * 1024);
        assertThat(costs.perFileGetsPerGibReplayed()).isEqualTo(4 * 1024);
        assertThat(costs.table()).contains("computed, not measured: 1024 segments x 5 objects");
        assertThat(new RequestCosts(counts(Kind.PUT, 2), counts(Kind.GET, 1), 1, (long) (GIB / 2)).putsPerGib())
                .isEqualTo(4);
    }

    @Test
    void coldFetchesSampleTheMiddleOfEveryOtherSealedSegmentLastFirst() {
        TopicPartition p0 = new TopicPartition("t", 0);
        TopicPartition p1 = new TopicPartition("t", 1);
        Map<TopicPartition, List<Long>> bases =
                Map.of(p0, List.of(0L, 100L, 200L, 300L, 400L), p1, List.of(0L, 50L, 120L));

        assertThat(ColdFetchRun.offsets(bases, 10))
                .containsExactly(Map.entry(p0, 250L), Map.entry(p0, 50L), Map.entry(p1, 25L));
        assertThat(ColdFetchRun.offsets(bases, 2)).containsExactly(Map.entry(p0, 250L), Map.entry(p0, 50L));
    }

    @Test
    void produceP99DuringTheUploadIsComparedWithTieringIdle() {
        TieredFigures figures = new TieredFigures();
        figures.probeRate = 1000;
        figures.probeAlone = probe(4.0);
        figures.probeDuringUpload = probe(5.0);
        assertThat(figures.table("t", null))
                .contains("produce at 1000 rec/s, tiering idle p50/p99 ms")
                .containsPattern("produce p99, during upload / idle +1\\.25 +\\(target <= 1\\.2: not met\\)");

        figures.probeDuringUpload = probe(4.8);
        assertThat(figures.table("t", null))
                .containsPattern("during upload / idle +1\\.20 +\\(target <= 1\\.2: met\\)");
    }

    @Test
    void s3ProxyIsWarmOnceTwoRoundsInARowAreNotATenthFasterThanTheBestBeforeThem() {
        // the rounds of a fresh S3Proxy measured here
        assertThat(ObjectStoreCeiling.plateaued(List.of(47.0, 97.0))).isFalse();
        assertThat(ObjectStoreCeiling.plateaued(List.of(47.0, 97.0, 135.0))).isFalse();
        assertThat(ObjectStoreCeiling.plateaued(List.of(47.0, 97.0, 135.0, 169.0, 159.0)))
                .isFalse();
        assertThat(ObjectStoreCeiling.plateaued(List.of(47.0, 97.0, 135.0, 169.0, 159.0, 168.0)))
                .isTrue();
        // a dip does not end it while the next round is a tenth faster than every one before
        assertThat(ObjectStoreCeiling.plateaued(List.of(100.0, 80.0, 120.0))).isFalse();
        assertThat(ObjectStoreCeiling.plateaued(List.of(100.0, 105.0, 116.0))).isFalse();
        assertThat(ObjectStoreCeiling.plateaued(List.of(100.0, 105.0, 109.0))).isTrue();
    }

    @Test
    void theCoresEachProcessUsedAreShownForTheUploadAndTheCeiling() {
        TieredFigures figures = new TieredFigures();
        CpuUse.Reading start = new CpuUse.Reading(
                0, java.time.Duration.ofSeconds(10), java.time.Duration.ofSeconds(4), java.time.Duration.ZERO);
        CpuUse.Reading end = new CpuUse.Reading(
                2_000_000_000L,
                java.time.Duration.ofMillis(12_260),
                java.time.Duration.ofMillis(5_040),
                java.time.Duration.ofMillis(480));
        figures.uploadCpu = end.since(start);
        figures.putWarmUp = List.of(
                new ObjectStoreCeiling.Transfer(1, 1, 47_000_000, 1.0),
                new ObjectStoreCeiling.Transfer(1, 1, 97_400_000, 1.0));

        assertThat(figures.uploadCpu.seconds()).isEqualTo(2.0);
        assertThat(figures.table("t", null))
                .containsPattern("cores used during the upload +broker 1\\.13, S3Proxy 0\\.52, bench 0\\.24")
                .containsPattern("S3Proxy PUT warm-up rounds MB/s +47, 97");
    }

    @Test
    void eachCeilingIsTheMedianOfItsRoundsWhichTheTableLists() {
        ObjectStoreCeiling.Transfer slow = new ObjectStoreCeiling.Transfer(1, 1, 90_000_000, 1.0);
        ObjectStoreCeiling.Transfer middle = new ObjectStoreCeiling.Transfer(1, 1, 120_000_000, 1.0);
        ObjectStoreCeiling.Transfer fast = new ObjectStoreCeiling.Transfer(1, 1, 150_000_000, 1.0);
        TieredFigures figures = new TieredFigures();
        figures.offload = new Offload(246, 84_000_000, 1.0);
        figures.putCeilingRounds = List.of(fast, slow, middle);
        figures.putCeiling = ObjectStoreCeiling.Transfer.median(figures.putCeilingRounds);
        figures.putStreams = 3;

        assertThat(figures.putCeiling).isSameAs(middle);
        assertThat(ObjectStoreCeiling.Transfer.median(List.of(fast, slow))).isSameAs(slow);
        assertThat(figures.table("t", null))
                .containsPattern("S3Proxy PUT ceiling MB/s \\(3 writers, median\\) +120\\.00")
                .containsPattern("its rounds MB/s +150, 90, 120")
                .containsPattern("upload / PUT ceiling +0\\.70");
    }

    @Test
    void withLatencyTheUploadIsShownBesideThePutCeilingOfTheSameShape() {
        TieredFigures figures = new TieredFigures();
        figures.shapedLabel = "30 ms to first byte, 100 MB/s per stream";
        figures.shaped.upload = new Offload(246, 30_000_000, 1.0);
        figures.shaped.putCeilingRounds = List.of(
                new ObjectStoreCeiling.Transfer(1, 1, 60_000_000, 1.0),
                new ObjectStoreCeiling.Transfer(1, 1, 50_000_000, 1.0),
                new ObjectStoreCeiling.Transfer(1, 1, 55_000_000, 1.0));
        figures.shaped.putCeiling = ObjectStoreCeiling.Transfer.median(figures.shaped.putCeilingRounds);

        assertThat(figures.table("t", null))
                .containsPattern("100 MB/s per stream:\\n(.*\\n)*  upload MB/s \\(246 segments\\) +30\\.00")
                .containsPattern("  S3Proxy PUT ceiling MB/s \\(median\\) +55\\.00")
                .containsPattern("    its rounds MB/s +60, 50, 55")
                .containsPattern("  upload / PUT ceiling +0\\.55");
    }

    private static WorkloadResult probe(double p99Ms) {
        WorkloadSpec spec = new WorkloadSpec(
                Workload.PRODUCE,
                1024,
                1,
                "all",
                "none",
                1,
                java.time.Duration.ofSeconds(1),
                0,
                0,
                16384,
                1000,
                null,
                Map.of());
        return new WorkloadResult(
                spec, "probe", 1000, 1024_000, 1, 0, new Percentiles(1000, 1.0, p99Ms, p99Ms, p99Ms, 1.0));
    }

    @Test
    void coldFetchesThatDidNotCountOneGetAreListedWithTheirRequests() {
        TopicPartition p0 = new TopicPartition("t", 0);
        List<ColdFetchRun.Sample> samples = List.of(
                new ColdFetchRun.Sample(p0, 50, 20.0, 1, List.of("GET /b/k bytes=0-9 at 1.0 ms")),
                new ColdFetchRun.Sample(
                        p0, 150, 30.0, 2, List.of("GET /b/k bytes=0-9 at 1.0 ms", "GET /b/l bytes=0-9 at 25.0 ms")));

        assertThat(ColdFetchRun.unexpected(samples))
                .containsExactly(
                        "t-0 offset 150: 2 GETs in 30.0 ms: GET /b/k bytes=0-9 at 1.0 ms; GET /b/l bytes=0-9 at 25.0 ms");
        assertThat(ColdFetchRun.summary(samples)).endsWith("1 GET in 1 of 2");
    }

    @Test
    void aColdFetchStartsOnceTheStoreHasSeenNoGetForAWhile() {
        Duration quiet = Duration.ofMillis(10);
        AtomicLong requests = new AtomicLong();
        // three more requests seen, then none
        assertThat(ColdFetchRun.awaitQuiet(
                        () -> requests.get() < 3 ? requests.incrementAndGet() : requests.get(),
                        quiet,
                        Duration.ofSeconds(30)))
                .isTrue();
        assertThat(requests.get()).isEqualTo(3);
        // a store that never goes quiet: given up at the limit
        assertThat(ColdFetchRun.awaitQuiet(requests::incrementAndGet, quiet, Duration.ofMillis(100)))
                .isFalse();
    }

    @Test
    void percentilesAreNearestRank() {
        List<Double> sorted =
                IntStream.rangeClosed(1, 20).mapToObj(i -> (double) i).toList();

        assertThat(ColdFetchRun.rank(sorted, 0.50)).isEqualTo(10);
        assertThat(ColdFetchRun.rank(sorted, 0.99)).isEqualTo(20);
        assertThat(ColdFetchRun.rank(List.of(7.0), 0.99)).isEqualTo(7);
    }

    private static S3RequestCounter.Counts counts(Object... kindsAndCounts) {
        Map<Kind, Long> m = new EnumMap<>(Kind.class);
        for (int i = 0; i < kindsAndCounts.length; i += 2) {
            m.put((Kind) kindsAndCounts[i], ((Integer) kindsAndCounts[i + 1]).longValue());
        }
        return new S3RequestCounter.Counts(m);
    }
}
