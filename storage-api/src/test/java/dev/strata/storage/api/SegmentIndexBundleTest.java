package dev.strata.storage.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.storage.api.SegmentIndexBundle.Range;
import dev.strata.storage.api.SegmentIndexBundle.Section;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentIndexBundleTest {

    @TempDir
    Path dir;

    @Test
    void everyFileAndTheManifestComeBackFromTheirRanges() throws IOException {
        LogSegmentData data = files(true);
        byte[] manifest = ascii("the manifest");

        byte[] bundle = SegmentIndexBundle.write(data, manifest);
        SegmentIndexBundle table = SegmentIndexBundle.parse(ByteBuffer.wrap(bundle), bundle.length);

        assertThat(table.section(bundle, Section.MANIFEST)).hasValue(ByteBuffer.wrap(manifest));
        assertThat(table.section(bundle, Section.OFFSET_INDEX)).hasValue(contents(data.offsetIndex()));
        assertThat(table.section(bundle, Section.TIME_INDEX)).hasValue(contents(data.timeIndex()));
        assertThat(table.section(bundle, Section.TRANSACTION_INDEX))
                .hasValue(contents(data.transactionIndex().orElseThrow()));
        assertThat(table.section(bundle, Section.PRODUCER_SNAPSHOT)).hasValue(contents(data.producerSnapshotIndex()));
        assertThat(table.section(bundle, Section.LEADER_EPOCH_CHECKPOINT)).hasValue(data.leaderEpochIndex());
        assertThat(table.headerSize()).isEqualTo(SegmentIndexBundle.MAX_HEADER_SIZE);
        assertThat(table.range(Section.MANIFEST))
                .as("the manifest first, right after the header, for a rebuild's ranged read")
                .hasValue(new Range(SegmentIndexBundle.MAX_HEADER_SIZE, manifest.length));
    }

    @Test
    void missingSectionsAreLeftOutOfTheTable() throws IOException {
        LogSegmentData data = files(false);

        byte[] bundle = SegmentIndexBundle.write(data, null);
        SegmentIndexBundle table = SegmentIndexBundle.parse(ByteBuffer.wrap(bundle), bundle.length);

        assertThat(table.range(Section.MANIFEST)).isEmpty();
        assertThat(table.range(Section.TRANSACTION_INDEX)).isEmpty();
        assertThat(table.section(bundle, Section.OFFSET_INDEX)).hasValue(contents(data.offsetIndex()));
        assertThat(table.headerSize()).isLessThan(SegmentIndexBundle.MAX_HEADER_SIZE);
    }

    @Test
    void theHeaderAloneGivesTheTable() throws IOException {
        byte[] bundle = SegmentIndexBundle.write(files(true), ascii("m"));

        SegmentIndexBundle table = SegmentIndexBundle.parse(
                ByteBuffer.wrap(Arrays.copyOf(bundle, SegmentIndexBundle.MAX_HEADER_SIZE)), bundle.length);

        assertThat(table.range(Section.OFFSET_INDEX).map(Range::end)).hasValue(bundle.length);
    }

    @Test
    void aCorruptOrForeignHeaderIsRejected() throws IOException {
        byte[] bundle = SegmentIndexBundle.write(files(true), ascii("m"));

        byte[] flipped = bundle.clone();
        flipped[10] ^= 1;
        assertRejected(flipped, bundle.length, "checksum");
        byte[] newer = bundle.clone();
        newer[4] = 2;
        assertRejected(newer, bundle.length, "version 2");
        assertRejected(ascii("STRM not a bundle"), 17, "magic");
        assertRejected(Arrays.copyOf(bundle, 20), bundle.length, "truncated");
        assertRejected(bundle, bundle.length - 1, "outside");
    }

    private static void assertRejected(byte[] bytes, long objectSize, String message) {
        assertThatThrownBy(() -> SegmentIndexBundle.parse(ByteBuffer.wrap(bytes), objectSize))
                .isInstanceOf(CorruptRecordException.class)
                .hasMessageContaining(message);
    }

    private LogSegmentData files(boolean withTransactionIndex) throws IOException {
        Path log = Files.write(dir.resolve("0.log"), ascii("log bytes, never in the bundle"));
        Path offsetIndex = Files.write(dir.resolve("0.index"), ascii("offset index"));
        Path timeIndex = Files.write(dir.resolve("0.timeindex"), ascii("time index entries"));
        Optional<Path> txnIndex = withTransactionIndex
                ? Optional.of(Files.write(dir.resolve("0.txnindex"), ascii("aborted transactions")))
                : Optional.empty();
        Path snapshot = Files.write(dir.resolve("0.snapshot"), ascii("producer state"));
        return new LogSegmentData(
                log, offsetIndex, timeIndex, txnIndex, snapshot, ByteBuffer.wrap(ascii("0\n1\n0 0\n")));
    }

    private static ByteBuffer contents(Path file) throws IOException {
        return ByteBuffer.wrap(Files.readAllBytes(file));
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
