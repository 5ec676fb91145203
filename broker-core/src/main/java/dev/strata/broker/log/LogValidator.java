package dev.strata.broker.log;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.UnsupportedForMessageFormatException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

/**
 * Checks a producer's batches before they reach the log and gives them their offsets, as Kafka's leader does: CRC,
 * magic v2, record counts and offset deltas, size, keys on compacted topics, timestamps. Offsets and the partition
 * leader epoch are written into each batch header in place (both lie outside the CRC), and a LogAppendTime topic
 * rewrites only the header's max timestamp, so a batch is never re-encoded unless the topic's
 * {@code compression.type} names a codec other than the one the producer used.
 */
public final class LogValidator {
    private LogValidator() {}

    public static ValidationResult validateAndAssignOffsets(
            MemoryRecords records,
            TopicPartition tp,
            long firstOffset,
            LogConfig config,
            long nowMs,
            int partitionLeaderEpoch,
            boolean fromClient) {
        boolean any = false;
        for (MutableRecordBatch batch : records.batches()) {
            any = true;
            validateBatch(batch, tp, config, nowMs, fromClient);
        }
        if (!any) {
            throw new InvalidRecordException("Produce request to " + tp + " has no record batches");
        }
        MemoryRecords target = needsRecompression(records, config) ? recompress(records, config) : records;
        boolean appendTime = config.timestampType() == TimestampType.LOG_APPEND_TIME;
        long next = firstOffset;
        long maxTimestamp = RecordBatch.NO_TIMESTAMP;
        int count = 0;
        List<BatchSummary> batches = new ArrayList<>();
        for (MutableRecordBatch batch : target.batches()) {
            int n = batch.countOrNull();
            batch.setLastOffset(next + n - 1);
            batch.setPartitionLeaderEpoch(partitionLeaderEpoch);
            if (appendTime) {
                batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, nowMs);
            }
            maxTimestamp = Math.max(maxTimestamp, batch.maxTimestamp());
            batches.add(BatchSummary.of(batch));
            next += n;
            count += n;
        }
        return new ValidationResult(target, firstOffset, next - 1, maxTimestamp,
                appendTime ? nowMs : RecordBatch.NO_TIMESTAMP, count, batches);
    }

    private static void validateBatch(
            MutableRecordBatch batch, TopicPartition tp, LogConfig config, long nowMs, boolean fromClient) {
        if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
            throw new UnsupportedForMessageFormatException(
                    "Record batches with magic " + batch.magic() + " are not accepted; only magic 2 is supported");
        }
        if (batch.sizeInBytes() > config.maxMessageBytes()) {
            throw new RecordTooLargeException("A batch of " + batch.sizeInBytes() + " bytes to " + tp
                    + " exceeds max.message.bytes=" + config.maxMessageBytes());
        }
        if (!batch.isValid()) {
            throw new CorruptRecordException("Record batch for " + tp + " failed its CRC check");
        }
        if (fromClient && batch.isControlBatch()) {
            throw new InvalidRecordException("Clients may not send control batches (to " + tp + ")");
        }
        Integer count = batch.countOrNull();
        if (count == null || count <= 0) {
            throw new InvalidRecordException("Record batch for " + tp + " has no records");
        }
        if (batch.lastOffset() - batch.baseOffset() != count - 1) {
            throw new InvalidRecordException("Record batch for " + tp + " has " + count
                    + " records but a last offset delta of " + (batch.lastOffset() - batch.baseOffset()));
        }
        boolean checkTimestamps = config.timestampType() == TimestampType.CREATE_TIME;
        int expectedDelta = 0;
        try (CloseableIterator<Record> it = batch.streamingIterator(BufferSupplier.NO_CACHING)) {
            while (it.hasNext()) {
                Record r = it.next();
                if (r.offset() - batch.baseOffset() != expectedDelta) {
                    throw new InvalidRecordException("Record " + expectedDelta + " of a batch for " + tp
                            + " has offset delta " + (r.offset() - batch.baseOffset()));
                }
                expectedDelta++;
                if (config.compact() && !r.hasKey()) {
                    throw new InvalidRecordException(
                            "Compacted topic " + tp.topic() + " cannot accept a record without a key");
                }
                if (checkTimestamps) {
                    long ts = r.timestamp();
                    if (ts < nowMs - config.timestampBeforeMaxMs() || ts > nowMs + config.timestampAfterMaxMs()) {
                        throw new InvalidTimestampException("Timestamp " + ts + " of a record for " + tp
                                + " is outside the accepted range [now - message.timestamp.before.max.ms, now + "
                                + "message.timestamp.after.max.ms]");
                    }
                }
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            if (e instanceof InvalidRecordException || e instanceof InvalidTimestampException) {
                throw e;
            }
            throw new CorruptRecordException("Records of a batch for " + tp + " cannot be read: " + e.getMessage());
        }
        if (expectedDelta != count) {
            throw new InvalidRecordException(
                    "Record batch for " + tp + " declares " + count + " records but holds " + expectedDelta);
        }
    }

    private static boolean needsRecompression(MemoryRecords records, LogConfig config) {
        String wanted = config.compressionType();
        if (wanted.equals("producer")) {
            return false;
        }
        CompressionType target = wanted.equals("uncompressed") ? CompressionType.NONE : CompressionType.forName(wanted);
        for (RecordBatch b : records.batches()) {
            if (b.compressionType() != target) {
                return true;
            }
        }
        return false;
    }

    /** Rewrites every batch with the topic's codec, keeping producer id, epoch, sequences and timestamps. */
    private static MemoryRecords recompress(MemoryRecords records, LogConfig config) {
        String wanted = config.compressionType();
        Compression compression = wanted.equals("uncompressed")
                ? Compression.NONE
                : Compression.of(CompressionType.forName(wanted)).build();
        ByteBuffer out = ByteBuffer.allocate(Math.max(1024, records.sizeInBytes() * 2));
        for (RecordBatch batch : records.batches()) {
            MemoryRecordsBuilder builder = MemoryRecords.builder(out, RecordBatch.MAGIC_VALUE_V2, compression,
                    batch.timestampType(), batch.baseOffset(), RecordBatch.NO_TIMESTAMP, batch.producerId(),
                    batch.producerEpoch(), batch.baseSequence(), batch.isTransactional(),
                    batch.partitionLeaderEpoch());
            for (Record r : batch) {
                builder.appendWithOffset(r.offset(), r);
            }
            builder.close();
            out = builder.buffer();
        }
        out.flip();
        return MemoryRecords.readableRecords(out);
    }
}
