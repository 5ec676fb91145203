package dev.strata.broker.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.strata.broker.config.LogConfig;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.UnsupportedForMessageFormatException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LogValidatorTest {

    private static final TopicPartition TP = new TopicPartition("orders", 3);
    private static final long NOW = 1_700_000_000_000L;
    private static final int LEADER_EPOCH = 7;

    @Test
    void rejectsABatchLengthThatOverflowsAsCorruptNotAsAServerError() {
        MemoryRecords whole = MemoryRecords.withRecords(Compression.NONE, record("a"));
        ByteBuffer buf = whole.buffer().duplicate();
        buf.putInt(8, Integer.MAX_VALUE - 4); // batch length: with the 12-byte log overhead it overflows an int

        assertThatThrownBy(() -> validate(MemoryRecords.readableRecords(buf), 0, config(Map.of())))
                .isInstanceOf(CorruptRecordException.class)
                .hasMessageContaining("impossible length");
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void assignsOffsetsInPlaceForEveryCodec(CompressionType codec) {
        MemoryRecords records =
                MemoryRecords.withRecords(Compression.of(codec).build(), record("a"), record("b"), record("c"));

        ValidationResult result = validate(records, 100, config(Map.of()));

        assertThat(result.records()).isSameAs(records);
        assertThat(result.firstOffset()).isEqualTo(100);
        assertThat(result.lastOffset()).isEqualTo(102);
        assertThat(result.recordCount()).isEqualTo(3);
        assertThat(result.logAppendTime()).isEqualTo(-1);
        assertThat(result.maxTimestamp()).isEqualTo(NOW);
        MutableRecordBatch batch = onlyBatch(result.records());
        assertThat(batch.isValid()).isTrue();
        assertThat(batch.compressionType()).isEqualTo(codec);
        assertThat(batch.baseOffset()).isEqualTo(100);
        assertThat(batch.lastOffset()).isEqualTo(102);
        assertThat(batch.partitionLeaderEpoch()).isEqualTo(LEADER_EPOCH);
        assertThat(offsetsAndValues(result.records())).containsExactly("100=a", "101=b", "102=c");
        assertThat(result.batches()).singleElement().satisfies(s -> {
            assertThat(s.baseOffset()).isEqualTo(100);
            assertThat(s.lastOffset()).isEqualTo(102);
            assertThat(s.sizeInBytes()).isEqualTo(records.sizeInBytes());
            assertThat(s.producerId()).isEqualTo(RecordBatch.NO_PRODUCER_ID);
        });
    }

    @Test
    void assignsDenseOffsetsAcrossSeveralBatches() {
        MemoryRecords records = concat(
                MemoryRecords.withRecords(Compression.NONE, record("a"), record("b")),
                MemoryRecords.withRecords(Compression.gzip().build(), record("c")),
                MemoryRecords.withRecords(Compression.lz4().build(), record("d"), record("e"), record("f")));

        ValidationResult result = validate(records, 10, config(Map.of()));

        assertThat(result.records()).isSameAs(records);
        assertThat(result.batches())
                .extracting(BatchSummary::baseOffset, BatchSummary::lastOffset)
                .containsExactly(tuple(10L, 11L), tuple(12L, 12L), tuple(13L, 15L));
        assertThat(result.lastOffset()).isEqualTo(15);
        assertThat(result.recordCount()).isEqualTo(6);
        assertThat(offsetsAndValues(result.records())).containsExactly("10=a", "11=b", "12=c", "13=d", "14=e", "15=f");
    }

    @Test
    void summarisesProducerIdEpochAndSequences() {
        MemoryRecords records =
                MemoryRecords.withIdempotentRecords(Compression.NONE, 42L, (short) 3, 17, record("a"), record("b"));

        BatchSummary summary = validate(records, 0, config(Map.of())).batches().get(0);

        assertThat(summary.producerId()).isEqualTo(42L);
        assertThat(summary.producerEpoch()).isEqualTo((short) 3);
        assertThat(summary.baseSequence()).isEqualTo(17);
        assertThat(summary.lastSequence()).isEqualTo(18);
        assertThat(summary.isTransactional()).isFalse();
        assertThat(summary.isControlBatch()).isFalse();
    }

    @Test
    void rejectsOldMagic() {
        MemoryRecords records = MemoryRecords.withRecords(RecordBatch.MAGIC_VALUE_V1, Compression.NONE, record("a"));

        assertThatThrownBy(() -> validate(records, 0, config(Map.of())))
                .isInstanceOf(UnsupportedForMessageFormatException.class);
    }

    @Test
    void rejectsRequestWithoutBatch() {
        assertThatThrownBy(() -> validate(MemoryRecords.EMPTY, 0, config(Map.of())))
                .isInstanceOf(InvalidRecordException.class);
        assertThat(Errors.forException(new InvalidRecordException("x"))).isEqualTo(Errors.INVALID_RECORD);
    }

    @Test
    void rejectsTrailingPartialBatch() {
        MemoryRecords whole = MemoryRecords.withRecords(Compression.NONE, record("a"), record("b"));
        ByteBuffer buf = ByteBuffer.allocate(whole.sizeInBytes() * 2 - 5);
        buf.put(whole.buffer().duplicate());
        buf.put(whole.buffer().duplicate().limit(whole.sizeInBytes() - 5));
        buf.flip();

        assertThatThrownBy(() -> validate(MemoryRecords.readableRecords(buf), 0, config(Map.of())))
                .isInstanceOf(CorruptRecordException.class);
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void rejectsFlippedByte(CompressionType codec) {
        MemoryRecords records = MemoryRecords.withRecords(Compression.of(codec).build(), record("payload"));
        ByteBuffer buf = records.buffer();
        int last = buf.limit() - 1;
        buf.put(last, (byte) (buf.get(last) ^ 0x01));

        assertThatThrownBy(() -> validate(records, 0, config(Map.of()))).isInstanceOf(CorruptRecordException.class);
    }

    @Test
    void rejectsBatchLargerThanMaxMessageBytes() {
        MemoryRecords records =
                MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(NOW, null, new byte[2000]));

        assertThatThrownBy(() -> validate(records, 0, config(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "1000"))))
                .isInstanceOf(RecordTooLargeException.class);
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void rejectsHeaderCountThatDisagreesWithOffsetRange(CompressionType codec) {
        MemoryRecords records = MemoryRecords.withRecords(Compression.of(codec).build(), record("a"), record("b"));
        records.buffer().putInt(DefaultRecordBatch.RECORDS_COUNT_OFFSET, 3);
        fixCrc(records.buffer());

        assertThatThrownBy(() -> validate(records, 0, config(Map.of()))).isInstanceOf(InvalidRecordException.class);
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void rejectsBatchDeclaringMoreRecordsThanItHolds(CompressionType codec) {
        MemoryRecords records = MemoryRecords.withRecords(Compression.of(codec).build(), record("a"), record("b"));
        ByteBuffer buf = records.buffer();
        buf.putInt(DefaultRecordBatch.RECORDS_COUNT_OFFSET, 3);
        buf.putInt(DefaultRecordBatch.LAST_OFFSET_DELTA_OFFSET, 2);
        fixCrc(buf);

        assertThatThrownBy(() -> validate(records, 0, config(Map.of()))).isInstanceOf(InvalidRecordException.class);
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void rejectsNonConsecutiveOffsetDeltas(CompressionType codec) {
        ByteBuffer buf = ByteBuffer.allocate(1024);
        MemoryRecordsBuilder builder =
                MemoryRecords.builder(buf, Compression.of(codec).build(), TimestampType.CREATE_TIME, 0L);
        builder.appendWithOffset(1, record("a"));
        builder.appendWithOffset(2, record("b"));
        // header says deltas 0..1, the records carry deltas 1 and 2
        builder.overrideLastOffset(1);
        MemoryRecords records = builder.build();
        assertThat(onlyBatch(records).isValid()).isTrue();

        assertThatThrownBy(() -> validate(records, 0, config(Map.of())))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("offset delta");
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void compactedTopicRequiresKeys(CompressionType codec) {
        LogConfig compacted = config(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        MemoryRecords keyed =
                MemoryRecords.withRecords(Compression.of(codec).build(), new SimpleRecord(NOW, bytes("k"), bytes("v")));
        MemoryRecords unkeyed = MemoryRecords.withRecords(
                Compression.of(codec).build(), new SimpleRecord(NOW, bytes("k"), bytes("v")), record("no key"));

        assertThat(validate(keyed, 0, compacted).recordCount()).isEqualTo(1);
        assertThatThrownBy(() -> validate(unkeyed, 0, compacted))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("without key");
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void namesEveryRecordABatchIsRefusedFor(CompressionType codec) {
        LogConfig compacted = config(Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG,
                TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG,
                "1000"));
        Compression compression = Compression.of(codec).build();
        MemoryRecords someUnkeyed = MemoryRecords.withRecords(
                compression,
                new SimpleRecord(NOW, bytes("k0"), bytes("v")),
                record("no key"),
                new SimpleRecord(NOW, bytes("k2"), bytes("v")),
                record("no key either"));

        assertThatThrownBy(() -> validate(someUnkeyed, 0, compacted))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("2 record errors")
                .isInstanceOfSatisfying(RecordErrors.class, e -> assertThat(e.recordErrors())
                        .extracting(RecordErrors.RecordError::batchIndex)
                        .containsExactly(1, 3));

        // a timestamp out of range makes the whole batch INVALID_TIMESTAMP, still naming every record
        MemoryRecords unkeyedAndFuture = MemoryRecords.withRecords(
                compression, record("no key"), new SimpleRecord(NOW + 1_001, bytes("k1"), bytes("future")));
        assertThatThrownBy(() -> validate(unkeyedAndFuture, 0, compacted))
                .isInstanceOf(InvalidTimestampException.class)
                .isInstanceOfSatisfying(RecordErrors.class, e -> assertThat(e.recordErrors())
                        .extracting(RecordErrors.RecordError::batchIndex)
                        .containsExactly(0, 1));
        assertThat(Errors.forException(catchThrowable(() -> validate(someUnkeyed, 0, compacted))))
                .isEqualTo(Errors.INVALID_RECORD);
    }

    @Test
    void rejectsControlBatchFromClientButAcceptsItFromBroker() {
        MemoryRecords marker = MemoryRecords.withEndTransactionMarker(
                0L, NOW, 0, 42L, (short) 1, new EndTransactionMarker(ControlRecordType.COMMIT, 5));

        assertThatThrownBy(() -> validate(marker, 0, config(Map.of()))).isInstanceOf(InvalidRecordException.class);
        ValidationResult result =
                LogValidator.validateAndAssignOffsets(marker, TP, 9, config(Map.of()), NOW, LEADER_EPOCH, false);
        assertThat(result.batches().get(0).isControlBatch()).isTrue();
        assertThat(result.lastOffset()).isEqualTo(9);
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void rejectsCreateTimeOutsideAllowedRange(CompressionType codec) {
        LogConfig config = config(Map.of(
                TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG, "60000",
                TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG, "1000"));
        Compression compression = Compression.of(codec).build();

        assertThatThrownBy(() -> validate(
                        MemoryRecords.withRecords(
                                compression, record("ok"), new SimpleRecord(NOW - 60_001, null, bytes("old"))),
                        0,
                        config))
                .isInstanceOf(InvalidTimestampException.class);
        assertThatThrownBy(() -> validate(
                        MemoryRecords.withRecords(compression, new SimpleRecord(NOW + 1_001, null, bytes("future"))),
                        0,
                        config))
                .isInstanceOf(InvalidTimestampException.class);
        ValidationResult edges = validate(
                MemoryRecords.withRecords(
                        compression,
                        new SimpleRecord(NOW - 60_000, null, bytes("a")),
                        new SimpleRecord(NOW + 1_000, null, bytes("b"))),
                0,
                config);
        assertThat(edges.maxTimestamp()).isEqualTo(NOW + 1_000);
    }

    @Test
    void unboundedTimestampRangeDoesNotOverflow() {
        LogConfig unbounded = config(Map.of(
                TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG, String.valueOf(Long.MAX_VALUE),
                TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG, String.valueOf(Long.MAX_VALUE)));
        MemoryRecords records = MemoryRecords.withRecords(
                Compression.NONE,
                new SimpleRecord(Long.MAX_VALUE - 1, null, bytes("far future")),
                new SimpleRecord(0L, null, bytes("a")));

        assertThat(validate(records, 0, unbounded).maxTimestamp()).isEqualTo(Long.MAX_VALUE - 1);
    }

    @ParameterizedTest
    @EnumSource(CompressionType.class)
    void logAppendTimeStampsBatchWithoutReencoding(CompressionType codec) {
        LogConfig config = config(Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"));
        MemoryRecords records = MemoryRecords.withRecords(
                Compression.of(codec).build(),
                new SimpleRecord(5L, null, bytes("a")),
                new SimpleRecord(6L, null, bytes("b")));
        int size = records.sizeInBytes();

        ValidationResult result = validate(records, 0, config);

        assertThat(result.records()).isSameAs(records);
        assertThat(result.records().sizeInBytes()).isEqualTo(size);
        assertThat(result.logAppendTime()).isEqualTo(NOW);
        assertThat(result.maxTimestamp()).isEqualTo(NOW);
        MutableRecordBatch batch = onlyBatch(result.records());
        assertThat(batch.isValid()).isTrue();
        assertThat(batch.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
        assertThat(batch.maxTimestamp()).isEqualTo(NOW);
        for (Record r : batch) {
            assertThat(r.timestamp()).isEqualTo(NOW);
        }
        assertThat(result.batches().get(0).maxTimestamp()).isEqualTo(NOW);
    }

    @Test
    void rejectsLogAppendTimeFromProducerOnCreateTimeTopic() {
        ByteBuffer buf = ByteBuffer.allocate(256);
        MemoryRecordsBuilder builder = MemoryRecords.builder(buf, Compression.NONE, TimestampType.LOG_APPEND_TIME, 0L);
        builder.append(record("a"));

        assertThatThrownBy(() -> validate(builder.build(), 0, config(Map.of())))
                .isInstanceOf(InvalidTimestampException.class);
    }

    @Test
    void recompressesToTopicCodecKeepingProducerStateAndTimestamps() {
        MemoryRecords records = MemoryRecords.withIdempotentRecords(
                Compression.NONE,
                42L,
                (short) 3,
                17,
                new SimpleRecord(NOW - 2, bytes("k1"), bytes("a")),
                new SimpleRecord(NOW - 1, bytes("k2"), bytes("b")));

        ValidationResult result = validate(records, 50, config(Map.of(TopicConfig.COMPRESSION_TYPE_CONFIG, "gzip")));

        assertThat(result.records()).isNotSameAs(records);
        MutableRecordBatch batch = onlyBatch(result.records());
        assertThat(batch.isValid()).isTrue();
        assertThat(batch.compressionType()).isEqualTo(CompressionType.GZIP);
        assertThat(batch.baseOffset()).isEqualTo(50);
        assertThat(batch.lastOffset()).isEqualTo(51);
        assertThat(batch.producerId()).isEqualTo(42L);
        assertThat(batch.producerEpoch()).isEqualTo((short) 3);
        assertThat(batch.baseSequence()).isEqualTo(17);
        assertThat(batch.lastSequence()).isEqualTo(18);
        assertThat(batch.partitionLeaderEpoch()).isEqualTo(LEADER_EPOCH);
        assertThat(batch.maxTimestamp()).isEqualTo(NOW - 1);
        List<String> seen = new ArrayList<>();
        for (Record r : batch) {
            seen.add(r.offset() + ":" + r.timestamp() + ":" + text(r.key()) + "=" + text(r.value()));
        }
        assertThat(seen).containsExactly("50:" + (NOW - 2) + ":k1=a", "51:" + (NOW - 1) + ":k2=b");
        assertThat(result.batches().get(0).sizeInBytes()).isEqualTo(batch.sizeInBytes());
        assertThat(result.batches().get(0).baseSequence()).isEqualTo(17);
    }

    @Test
    void decompressesWhenTopicIsUncompressedAndKeepsMatchingBatchesAsTheyAre() {
        MemoryRecords records = concat(
                MemoryRecords.withRecords(Compression.zstd().build(), record("a"), record("b")),
                MemoryRecords.withRecords(Compression.NONE, record("c")));

        ValidationResult result =
                validate(records, 0, config(Map.of(TopicConfig.COMPRESSION_TYPE_CONFIG, "uncompressed")));

        List<CompressionType> codecs = new ArrayList<>();
        for (MutableRecordBatch b : result.records().batches()) {
            assertThat(b.isValid()).isTrue();
            codecs.add(b.compressionType());
        }
        assertThat(codecs).containsExactly(CompressionType.NONE, CompressionType.NONE);
        assertThat(offsetsAndValues(result.records())).containsExactly("0=a", "1=b", "2=c");
        assertThat(result.batches()).extracting(BatchSummary::baseOffset).containsExactly(0L, 2L);
    }

    @Test
    void recompressionUnderLogAppendTimeStampsNow() {
        LogConfig config = config(Map.of(
                TopicConfig.COMPRESSION_TYPE_CONFIG,
                "lz4",
                TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG,
                "LogAppendTime"));
        MemoryRecords records =
                MemoryRecords.withRecords(Compression.snappy().build(), new SimpleRecord(5L, null, bytes("a")));

        ValidationResult result = validate(records, 0, config);

        MutableRecordBatch batch = onlyBatch(result.records());
        assertThat(batch.compressionType()).isEqualTo(CompressionType.LZ4);
        assertThat(batch.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
        assertThat(batch.maxTimestamp()).isEqualTo(NOW);
        assertThat(result.logAppendTime()).isEqualTo(NOW);
    }

    @Test
    void rejectsWholeRequestWithoutTouchingEarlierBatches() {
        MemoryRecords good = MemoryRecords.withRecords(Compression.NONE, record("a"));
        MemoryRecords records =
                concat(good, MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(1L, null, bytes("ancient"))));
        LogConfig config = config(Map.of(TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG, "1000"));

        assertThatThrownBy(() -> validate(records, 500, config)).isInstanceOf(InvalidTimestampException.class);
        assertThat(records.batches().iterator().next().baseOffset()).isZero();
    }

    private static ValidationResult validate(MemoryRecords records, long firstOffset, LogConfig config) {
        return LogValidator.validateAndAssignOffsets(records, TP, firstOffset, config, NOW, LEADER_EPOCH, true);
    }

    private static LogConfig config(Map<String, String> overrides) {
        return LogConfig.of(Map.of(), new HashMap<>(overrides));
    }

    private static SimpleRecord record(String value) {
        return new SimpleRecord(NOW, null, bytes(value));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(ByteBuffer b) {
        return StandardCharsets.UTF_8.decode(b.duplicate()).toString();
    }

    private static MutableRecordBatch onlyBatch(MemoryRecords records) {
        List<MutableRecordBatch> batches = new ArrayList<>();
        records.batches().forEach(batches::add);
        assertThat(batches).hasSize(1);
        return batches.get(0);
    }

    private static List<String> offsetsAndValues(MemoryRecords records) {
        List<String> out = new ArrayList<>();
        for (MutableRecordBatch batch : records.batches()) {
            for (Record r : batch) {
                out.add(r.offset() + "=" + text(r.value()));
            }
        }
        return out;
    }

    private static MemoryRecords concat(MemoryRecords... parts) {
        int size = 0;
        for (MemoryRecords p : parts) {
            size += p.sizeInBytes();
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        for (MemoryRecords p : parts) {
            buf.put(p.buffer().duplicate());
        }
        buf.flip();
        return MemoryRecords.readableRecords(buf);
    }

    /** Recomputes a single batch's CRC after a test edited bytes the CRC covers. */
    private static void fixCrc(ByteBuffer batch) {
        int attributesOffset = DefaultRecordBatch.CRC_OFFSET + 4;
        CRC32C crc = new CRC32C();
        crc.update(batch.duplicate().position(attributesOffset));
        batch.putInt(DefaultRecordBatch.CRC_OFFSET, (int) crc.getValue());
    }

    private static org.assertj.core.groups.Tuple tuple(Object... values) {
        return org.assertj.core.groups.Tuple.tuple(values);
    }
}
