package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** What the commands print, from values built by hand. */
class FormattingTest {

    @Test
    void sizesTimesAndDurationsReadTheSameEverywhere() {
        assertThat(Text.bytes(0)).isEqualTo("0 B");
        assertThat(Text.bytes(1023)).isEqualTo("1023 B");
        assertThat(Text.bytes(1536)).isEqualTo("1.5 KiB");
        assertThat(Text.bytes(3L << 30)).isEqualTo("3.0 GiB");
        assertThat(Text.bytes(-1)).isEqualTo("-");
        assertThat(Text.offset(-1)).isEqualTo("-");
        assertThat(Text.time(1796457600000L)).isEqualTo("2026-12-05T08:00:00Z");
        assertThat(Text.duration(59)).isEqualTo("0:59");
        assertThat(Text.duration(3725)).isEqualTo("1:02:05");
    }

    @Test
    void aTableAlignsItsColumns() {
        StringWriter text = new StringWriter();
        new Text.Table("A", "LONG-HEADER", "C").row("xyz", 1, "z").print(new PrintWriter(text, true));
        assertThat(text.toString()).isEqualTo("A    LONG-HEADER  C\nxyz  1            z\n");
    }

    @Test
    void consumedRecordsRenderAsValueKeyValueOrJson() {
        RecordHeaders headers = new RecordHeaders();
        headers.add(new RecordHeader("trace", "abc".getBytes(StandardCharsets.UTF_8)));
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>(
                "demo",
                2,
                41,
                1796457600000L,
                TimestampType.CREATE_TIME,
                1,
                5,
                bytes("k"),
                bytes("va\"l"),
                headers,
                Optional.empty());

        assertThat(ConsumeCommand.render(record, ConsumeCommand.Format.value, "\t"))
                .isEqualTo("va\"l");
        assertThat(ConsumeCommand.render(record, ConsumeCommand.Format.key_value, ":"))
                .isEqualTo("k:va\"l");
        assertThat(ConsumeCommand.render(record, ConsumeCommand.Format.json, "\t"))
                .isEqualTo("{\"topic\":\"demo\",\"partition\":2,\"offset\":41,\"timestamp\":1796457600000,"
                        + "\"key\":\"k\",\"value\":\"va\\\"l\",\"headers\":{\"trace\":\"abc\"}}");
    }

    @Test
    void producedLinesSplitAtTheFirstSeparatorAndJsonLinesCarryEveryField() {
        ProduceCommand.Input plain = ProduceCommand.parseLine("a:b:c", ":", List.of());
        assertThat(new String(plain.key(), StandardCharsets.UTF_8)).isEqualTo("a");
        assertThat(new String(plain.value(), StandardCharsets.UTF_8)).isEqualTo("b:c");
        assertThat(ProduceCommand.parseLine("no separator", ":", List.of()).key())
                .isNull();

        ProduceCommand.Input json = ProduceCommand.parseJson(
                "{\"key\":\"k\",\"value\":{\"n\":1},\"headers\":{\"h\":\"v\"},\"partition\":3,\"timestamp\":7}",
                ProduceCommand.parseHeaders(List.of("fixed=1")));
        assertThat(new String(json.key(), StandardCharsets.UTF_8)).isEqualTo("k");
        assertThat(new String(json.value(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":1}");
        assertThat(json.headers()).extracting(h -> h.key()).containsExactly("fixed", "h");
        assertThat(json.partition()).isEqualTo(3);
        assertThat(json.timestamp()).isEqualTo(7L);
    }

    @Test
    void aProgressLineShowsRateShareEtaAndTheRemoteTier() {
        String line = Progress.line(10.0, 123_456, 50_000_000, 20_000_000, 250, 1000);
        assertThat(line).isEqualTo("123,456 records  47.7 MiB  5.0 MB/s   25%  ETA 0:30  remote tier 19.1 MiB");
        assertThat(Progress.line(0, 0, 0, 0, 0, 0)).isEqualTo("0 records  0 B  0.0 MB/s");
        assertThat(Progress.line(1, 0, 0, 0, 0, 10)).endsWith("0%  ETA -");
    }

    @Test
    void describeShowsBothTiersOnlyForPartitionsTheReportingBrokerLeads() {
        Node one = new Node(1, "127.0.0.1", 9092);
        Node two = new Node(2, "127.0.0.1", 9192);
        TopicDescription d = new TopicDescription(
                "demo",
                false,
                List.of(
                        new TopicPartitionInfo(0, one, List.of(one, two), List.of(one, two)),
                        new TopicPartitionInfo(1, two, List.of(two, one), List.of(two))),
                java.util.Set.of(),
                Uuid.ZERO_UUID);
        TopicPartition p0 = new TopicPartition("demo", 0);
        TopicPartition p1 = new TopicPartition("demo", 1);
        Map<String, Object> status = Map.of(
                "brokerId",
                1L,
                "topics",
                List.of(
                        Map.of("topic", "other", "partitions", List.of()),
                        Map.of(
                                "topic",
                                "demo",
                                "partitions",
                                List.of(
                                        Map.of("partition", 0L, "localBytes", 2048L, "remoteBytes", 1048576L),
                                        Map.of("partition", 1L, "localBytes", 1L, "remoteBytes", 1L)))));
        StringWriter text = new StringWriter();
        TopicsCommand.describeTable(
                        d,
                        Map.of(p0, 0L, p1, 0L),
                        Map.of(p0, 100L),
                        Map.of(p0, 99L, p1, -1L),
                        Map.of(p0, 150L, p1, 7L),
                        Optional.of(status))
                .print(new PrintWriter(text, true));
        assertThat(text.toString().split("\n"))
                .containsExactly(
                        "PARTITION  LEADER  REPLICAS  ISR  LOG-START  LOCAL-START  TIERED-UP-TO  END  LOCAL-BYTES"
                                + "  REMOTE-BYTES",
                        "0          1       1,2       1,2  0          100          99            150  2.0 KiB    "
                                + "  1.0 MiB",
                        "1          2       2,1       2    0          -            -             7    -          "
                                + "  -");
    }

    @Test
    void groupLagIsPerPartitionWithATotal() {
        StringWriter text = new StringWriter();
        GroupsCommand.lagTable(List.of(
                        new GroupsCommand.Lag(new TopicPartition("b", 0), 5, 9, null),
                        new GroupsCommand.Lag(new TopicPartition("a", 1), -1, 4, null),
                        new GroupsCommand.Lag(new TopicPartition("a", 0), 10, 10, null)))
                .print(new PrintWriter(text, true));
        String[] lines = text.toString().split("\n");
        assertThat(lines[1]).startsWith("a      0          10              10              0");
        assertThat(lines[2]).startsWith("a      1          -               4               -");
        assertThat(lines[3]).startsWith("b      0          5               9               4");
        assertThat(lines[4]).startsWith("TOTAL                                             4");
    }

    @Test
    void tierStatusPrintsATablePerTopicATotalPerTopicAndOneForTheBrokerWithoutInternalTopics() {
        Map<String, Object> total = Map.of(
                "partitions",
                1L,
                "localBytes",
                1024L,
                "remoteBytes",
                4096L,
                "remoteSegments",
                2L,
                "copyLagBytes",
                512L,
                "copyLagSegments",
                1L,
                "failedCopies",
                3L);
        Map<String, Object> partition = new java.util.HashMap<>(Map.of(
                "partition",
                0L,
                "leader",
                true,
                "localBytes",
                1024L,
                "remoteBytes",
                4096L,
                "remoteSegments",
                2L,
                "copyLagBytes",
                512L,
                "copyLagSegments",
                1L,
                "lastCopyTimeMs",
                1796457600000L,
                "failedCopies",
                3L,
                "lastCopyErrorTimeMs",
                1796457660000L));
        partition.put("lastCopyError", "java.io.IOException: bucket gone");
        Map<String, Object> doc = Map.of(
                "brokerId",
                1L,
                "total",
                total,
                "topics",
                List.of(
                        Map.of("topic", "__consumer_offsets", "total", total, "partitions", List.of()),
                        Map.of(
                                "topic",
                                "demo",
                                "remoteStorageEnabled",
                                true,
                                "total",
                                total,
                                "partitions",
                                List.of(partition))));
        StringWriter text = new StringWriter();
        TierCommand.print(doc, new PrintWriter(text, true), false);
        assertThat(text.toString().split("\n"))
                .containsExactly(
                        "Topic: demo  (tiered)",
                        "PARTITION  ROLE    LOCAL    REMOTE   SEGMENTS  UPLOAD-LAG  LAG-SEGMENTS  LAST-COPY         "
                                + "    FAILED-COPIES",
                        "0          leader  1.0 KiB  4.0 KiB  2         512 B       1             2026-12-05T08:00:0"
                                + "0Z  3",
                        "  partition 0: last copy error at 2026-12-05T08:01:00Z: java.io.IOException: bucket gone",
                        "Total demo: 1 partitions, local 1.0 KiB, remote 4.0 KiB in 2 segments, upload lag 512 B in 1"
                                + " segments, 3 failed copies",
                        "",
                        "Total broker 1: 1 partitions, local 1.0 KiB, remote 4.0 KiB in 2 segments, upload"
                                + " lag 512 B in 1 segments, 3 failed copies");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
