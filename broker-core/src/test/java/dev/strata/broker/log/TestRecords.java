package dev.strata.broker.log;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.record.internal.SimpleRecord;

/** Builders for v2 record batches in tests. */
final class TestRecords {

    private TestRecords() {}

    /** One batch at {@code baseOffset} with one record per value, each timestamped {@code timestamp}. */
    static MemoryRecords batch(long baseOffset, long timestamp, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = new SimpleRecord(timestamp, null, values[i].getBytes(StandardCharsets.UTF_8));
        }
        return MemoryRecords.withRecords(
                RecordBatch.MAGIC_VALUE_V2, baseOffset, Compression.NONE, TimestampType.CREATE_TIME, records);
    }

    /** One batch of records whose keys are their values, as a compacted topic requires. */
    static MemoryRecords keyed(long timestamp, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            byte[] bytes = values[i].getBytes(StandardCharsets.UTF_8);
            records[i] = new SimpleRecord(timestamp, bytes, bytes);
        }
        return MemoryRecords.withRecords(
                RecordBatch.MAGIC_VALUE_V2, 0, Compression.NONE, TimestampType.CREATE_TIME, records);
    }

    static MemoryRecords idempotent(long producerId, short epoch, int baseSequence, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = new SimpleRecord(1_000L, null, values[i].getBytes(StandardCharsets.UTF_8));
        }
        return MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, epoch, baseSequence, records);
    }

    static MemoryRecords transactional(long producerId, short epoch, int baseSequence, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = new SimpleRecord(1_000L, null, values[i].getBytes(StandardCharsets.UTF_8));
        }
        return MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, epoch, baseSequence, records);
    }

    static List<String> values(Records records) {
        List<String> values = new ArrayList<>();
        for (RecordBatch batch : records.batches()) {
            for (Record record : batch) {
                byte[] bytes = new byte[record.valueSize()];
                record.value().get(bytes);
                values.add(new String(bytes, StandardCharsets.UTF_8));
            }
        }
        return values;
    }

    static List<Long> offsets(Records records) {
        List<Long> offsets = new ArrayList<>();
        for (RecordBatch batch : records.batches()) {
            for (Record record : batch) {
                offsets.add(record.offset());
            }
        }
        return offsets;
    }
}
