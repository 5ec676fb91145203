package dev.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.utils.Utils;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class RemoteLogReaderTest {

    private static final int BATCHES = 2;

    @TempDir
    Path tmp;

    final TopicIdPartition tip = new TopicIdPartition(Uuid.randomUuid(), 2, "payments");
    RemoteReadFixture remote;
    RemoteLogReader reader;

    /** The remote tier the tests read: through the chunk cache here. */
    RemoteReadFixture fixture(Path dir) throws IOException {
        return new RemoteReadFixture(dir);
    }

    @BeforeEach
    void setUp() throws IOException {
        remote = fixture(tmp);
        reader = remote.reader();
        FakeTieredPartition partition = new FakeTieredPartition(tip, tmp.resolve("log"));
        for (int i = 0; i < 3; i++) {
            partition.appendSegment(BATCHES, RemoteReadFixture.START_MS);
        }
        remote.tier(partition, 30);
    }

    @AfterEach
    void tearDown() throws Exception {
        remote.close();
    }

    @Test
    void returnsWholeBatchesFromTheBatchHoldingTheOffset() throws Exception {
        ByteBuffer bytes = reader.readRecords(tip, 17, 1 << 20).get(10, TimeUnit.SECONDS);

        List<Long> offsets = offsetsOf(bytes);
        assertThat(offsets).containsExactly(15L, 16L, 17L, 18L, 19L);
        Record seventeen = recordAt(bytes, 17);
        assertThat(Utils.toArray(seventeen.value())).isEqualTo(FakeTieredPartition.value(17));
    }

    @Test
    void aColdReadInTheMiddleOfASegmentIsOneRangedFetchOfTheLogAndNoIndexFetch() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        // chunks larger than the read, as in production (the fixture's are tiny, to make reads ranged)
        ChunkCacheConfig config =
                new ChunkCacheConfig(1 << 20, 4 << 20, Optional.empty(), 0, Duration.ofSeconds(10), 2);
        try (ChunkCache cold = new ChunkCache(config, remote.storage(), pool, pool)) {
            RemoteLogReader coldReader = new RemoteLogReader(remote.manager(), remote.index(), cold);
            List<String> before = remote.storage().fetches();

            ByteBuffer bytes = coldReader.readRecords(tip, 17, 1 << 20).get(10, TimeUnit.SECONDS);

            assertThat(offsetsOf(bytes)).containsExactly(15L, 16L, 17L, 18L, 19L);
            List<String> fetches = remote.storage().fetches();
            assertThat(fetches.subList(before.size(), fetches.size()))
                    .as("the position comes from the remote index in RocksDB, the bytes from one ranged read")
                    .singleElement(InstanceOfAssertFactories.STRING)
                    .startsWith("log ");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aReadGoesOnIntoTheNextSegmentWhenItsFirstChunkIsInMemory() throws Exception {
        assertThat(offsetsOf(reader.readRecords(tip, 17, 1 << 20).get(10, TimeUnit.SECONDS)))
                .as("the next segment is not in memory: the read ends with its segment")
                .containsExactly(15L, 16L, 17L, 18L, 19L);
        reader.readRecords(tip, 20, 1).get(10, TimeUnit.SECONDS);
        int fetches = remote.storage().fetches().size();

        List<Long> offsets = offsetsOf(reader.readRecords(tip, 17, 1 << 20).get(10, TimeUnit.SECONDS));

        assertThat(offsets)
                .as("its batches, then the next segment's in its chunk in memory")
                .startsWith(15L, 16L, 17L, 18L, 19L, 20L);
        assertThat(offsets).isSorted().doesNotHaveDuplicates();
        assertThat(remote.storage().fetches())
                .as("nothing read from the backend")
                .hasSize(fetches);
    }

    @Test
    void returnsTheFirstBatchWholeEvenWhenItExceedsMaxBytes() throws Exception {
        ByteBuffer bytes = reader.readRecords(tip, 12, 1).get(10, TimeUnit.SECONDS);

        assertThat(offsetsOf(bytes)).containsExactly(10L, 11L, 12L, 13L, 14L);
    }

    @Test
    void failsOnACorruptedRemoteLogByte() throws Exception {
        flipLastValueByte(remoteLogOf(10));

        assertThatThrownBy(() -> reader.readRecords(tip, 17, 1 << 20).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasRootCauseInstanceOf(CorruptRecordException.class);
        assertThat(offsetsOf(reader.readRecords(tip, 10, 1).get(10, TimeUnit.SECONDS)))
                .as("the intact batch before it is still served")
                .containsExactly(10L, 11L, 12L, 13L, 14L);
    }

    @Test
    void failsOnABatchLengthThatRunsPastTheEndOfTheSegment() throws Exception {
        Path remoteLog = remoteLogOf(10);
        int lastBatch;
        try (FileChannel channel = FileChannel.open(remoteLog, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer header = ByteBuffer.allocate(Records.LOG_OVERHEAD);
            channel.read(header, 0);
            lastBatch = Records.LOG_OVERHEAD + header.getInt(Records.SIZE_OFFSET);
            ByteBuffer length = ByteBuffer.allocate(4).putInt(0, 1_000_000);
            channel.write(length, lastBatch + Records.SIZE_OFFSET); // the segment's last batch (offsets 15 to 19)
        }

        assertThatThrownBy(() -> reader.readRecords(tip, 17, 1 << 20).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasRootCauseInstanceOf(CorruptRecordException.class)
                .hasMessageContaining("past the end of the segment");
    }

    @Test
    void failsAsCorruptWhenTheRemoteLogIsTruncated() throws Exception {
        Path remoteLog = remoteLogOf(10);
        try (FileChannel channel = FileChannel.open(remoteLog, StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() / 2);
        }

        assertThatThrownBy(() -> reader.readRecords(tip, 17, 1 << 20).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(CorruptRecordException.class)
                .hasMessageContaining("remote segment " + segmentIdOf(remoteLog))
                .hasMessageContaining("is corrupt");
    }

    @Test
    void logsACorruptSegmentAtWarnOncePerSegment() throws Exception {
        flipLastValueByte(remoteLogOf(10));
        flipLastValueByte(remoteLogOf(20));
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        Logger logger = (Logger) LoggerFactory.getLogger(RemoteLogReader.class);
        logged.start();
        logger.addAppender(logged);
        try {
            for (long offset : new long[] {17, 17, 18, 25}) {
                assertThatThrownBy(
                                () -> reader.readRecords(tip, offset, 1 << 20).get(10, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(CorruptRecordException.class);
            }
        } finally {
            logger.detachAppender(logged);
        }

        List<String> warnings = logged.list.stream()
                .filter(e -> e.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage)
                .toList();
        assertThat(warnings).hasSize(2);
        assertThat(warnings.get(0))
                .contains(tip.toString(), "offset 17", segmentIdOf(remoteLogOf(10)), "offsets 10 to 19");
        assertThat(warnings.get(1)).contains(tip.toString(), "offset 25", segmentIdOf(remoteLogOf(20)));
    }

    @Test
    void failsForAnOffsetTheRemoteTierDoesNotHold() {
        assertThatThrownBy(() -> reader.readRecords(tip, 30, 1024).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(OffsetOutOfRangeException.class);
    }

    @Test
    void countsReadsTheBytesTheyReturnAndFailures() throws Exception {
        ByteBuffer first = reader.readRecords(tip, 17, 1 << 20).get(10, TimeUnit.SECONDS);
        ByteBuffer second = reader.readRecords(tip, 0, 1).get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> reader.readRecords(tip, 30, 1024).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(OffsetOutOfRangeException.class);
        assertThatThrownBy(() -> reader.readRecords(tip, 0, 0).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(IllegalArgumentException.class);

        assertThat(reader.stats())
                .isEqualTo(new RemoteLogReaderStats(4, first.remaining() + second.remaining(), 2, 0, 0));
    }

    static List<Long> offsetsOf(ByteBuffer bytes) {
        List<Long> offsets = new ArrayList<>();
        MemoryRecords.readableRecords(bytes.duplicate()).records().forEach(r -> offsets.add(r.offset()));
        return offsets;
    }

    private static Record recordAt(ByteBuffer bytes, long offset) {
        for (Record record : MemoryRecords.readableRecords(bytes.duplicate()).records()) {
            if (record.offset() == offset) {
                return record;
            }
        }
        throw new AssertionError("no record at " + offset);
    }

    /** Changes a value byte of the segment's last batch, which its CRC covers (offsets 15 to 19 of segment 10). */
    private static void flipLastValueByte(Path remoteLog) throws IOException {
        long size = Files.size(remoteLog);
        try (FileChannel channel = FileChannel.open(remoteLog, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, size - 3);
            one.put(0, (byte) (one.get(0) ^ 0x5a)).rewind();
            channel.write(one, size - 3);
        }
    }

    /** The segment id in a remote file's name, {@code <start offset>-<segment id>.log}. */
    private static String segmentIdOf(Path remoteLog) {
        String name = remoteLog.getFileName().toString();
        return name.substring(name.indexOf('-') + 1, name.lastIndexOf('.'));
    }

    Path remoteLogOf(long baseOffset) throws IOException {
        String prefix = String.format("%020d", baseOffset);
        try (Stream<Path> files = Files.walk(remote.remoteRoot())) {
            return files.filter(p -> p.getFileName().toString().startsWith(prefix)
                            && p.getFileName().toString().endsWith(".log"))
                    .findFirst()
                    .orElseThrow();
        }
    }
}
