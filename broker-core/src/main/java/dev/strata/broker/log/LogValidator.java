package dev.strata.broker.log;

import dev.strata.broker.config.LogConfig;
import dev.strata.broker.log.RecordErrors.RecordError;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.CorruptRecordException;
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
 * Leader-side validation of the record batches a Produce request carries for one partition, and assignment of their
 * offsets, before they are appended to the log.
 *
 * <p>Batches are checked in two passes so that a request is either accepted whole or rejected without any batch
 * having been touched: the first pass validates every batch and every record, the second stamps offsets, partition
 * leader epoch and (under LogAppendTime) the max timestamp into the batch headers. Base offset and leader epoch lie
 * outside the CRC, and {@link MutableRecordBatch#setMaxTimestamp} recomputes it, so a batch keeps the producer's bytes;
 * it is re-encoded only when the topic's {@code compression.type} names a codec other than the batch's.
 *
 * <p>Every rejection is a kafka-clients {@link ApiException}, so the request handler can answer with
 * {@code Errors.forException}.
 */
public final class LogValidator {

    private static final String PRODUCER_COMPRESSION = "producer";

    private LogValidator() {}

    /**
     * Validates the batches of one partition from a Produce request and assigns them dense offsets from
     * {@code firstOffset} on. The batches are modified in place unless they have to be re-compressed.
     *
     * @param records the partition's records as they came in the request
     * @param tp the partition, for error messages
     * @param firstOffset the log's next offset: the first record gets it
     * @param config the partition's log config
     * @param nowMs the broker's clock, for timestamp checks and LogAppendTime
     * @param partitionLeaderEpoch the leader epoch to stamp into every batch
     * @param fromClient true for a producer's request; false for the broker's own writes (coordinators, transaction
     *     markers), which may contain control batches
     * @throws UnsupportedForMessageFormatException if a batch is not magic v2
     * @throws InvalidRecordException if there is no batch, the record count or offset deltas are inconsistent, a key is
     *     missing on a compacted topic, or a client sends a control batch; for missing keys it is also
     *     {@link RecordErrors}, naming the records
     * @throws CorruptRecordException if a batch's CRC does not match or the request ends in a partial batch
     * @throws RecordTooLargeException if a batch is larger than {@code max.message.bytes}
     * @throws InvalidTimestampException if a CreateTime timestamp is out of the allowed range; when a record's, it is
     *     also {@link RecordErrors}, naming the records
     */
    public static ValidationResult validateAndAssignOffsets(
            MemoryRecords records,
            TopicPartition tp,
            long firstOffset,
            LogConfig config,
            long nowMs,
            int partitionLeaderEpoch,
            boolean fromClient) {
        List<MutableRecordBatch> batches = readBatches(records, tp, config);
        CompressionType target = targetCompression(config.compressionType());
        boolean logAppendTime = config.timestampType() == TimestampType.LOG_APPEND_TIME;

        List<ScannedBatch> scanned = new ArrayList<>(batches.size());
        for (MutableRecordBatch batch : batches) {
            validateHeader(batch, tp, config, fromClient);
            boolean recompress = target != null && target != batch.compressionType() && !batch.isControlBatch();
            scanned.add(scanRecords(batch, tp, config, nowMs, recompress));
        }

        long nextOffset = firstOffset;
        long maxTimestamp = RecordBatch.NO_TIMESTAMP;
        int recordCount = 0;
        boolean rewritten = false;
        List<BatchSummary> summaries = new ArrayList<>(scanned.size());
        // per batch: the re-encoded bytes, or null when the batch was stamped in place
        List<ByteBuffer> parts = new ArrayList<>(scanned.size());
        for (ScannedBatch s : scanned) {
            MutableRecordBatch batch = s.batch();
            if (s.records() != null) {
                MemoryRecords rebuilt = recompress(s, target, nextOffset, config, nowMs, partitionLeaderEpoch);
                batch = rebuilt.batches().iterator().next();
                if (batch.sizeInBytes() > config.maxMessageBytes()) {
                    throw new RecordTooLargeException("Batch of " + batch.sizeInBytes() + " bytes after compression to "
                            + target.name + " exceeds max.message.bytes " + config.maxMessageBytes() + " in " + tp);
                }
                parts.add(rebuilt.buffer());
                rewritten = true;
            } else {
                batch.setLastOffset(nextOffset + s.count() - 1);
                batch.setPartitionLeaderEpoch(partitionLeaderEpoch);
                if (logAppendTime) {
                    batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, nowMs);
                } else {
                    // the header's max timestamp is the producer's claim; store the one the records prove
                    batch.setMaxTimestamp(TimestampType.CREATE_TIME, s.maxTimestamp());
                }
                parts.add(null);
            }
            BatchSummary summary = BatchSummary.of(batch);
            summaries.add(summary);
            maxTimestamp = Math.max(maxTimestamp, summary.maxTimestamp());
            recordCount += s.count();
            nextOffset += s.count();
        }

        MemoryRecords out = rewritten ? concatenate(scanned, parts) : records;
        return new ValidationResult(
                out,
                firstOffset,
                nextOffset - 1,
                maxTimestamp,
                logAppendTime ? nowMs : RecordBatch.NO_TIMESTAMP,
                recordCount,
                summaries);
    }

    /**
     * Maps the topic's {@code compression.type} to the codec batches must be stored in, or null when the producer's
     * codec is kept.
     */
    static CompressionType targetCompression(String compressionType) {
        String name = compressionType.toLowerCase(Locale.ROOT);
        return switch (name) {
            case PRODUCER_COMPRESSION -> null;
            case "uncompressed", "none" -> CompressionType.NONE;
            default -> CompressionType.forName(name);
        };
    }

    private static List<MutableRecordBatch> readBatches(MemoryRecords records, TopicPartition tp, LogConfig config) {
        if (records.sizeInBytes() == 0) {
            throw new InvalidRecordException("Produce request for " + tp + " contains no record batch");
        }
        List<MutableRecordBatch> batches = new ArrayList<>(1);
        int bytes = 0;
        Iterator<MutableRecordBatch> iterator = records.batches().iterator();
        while (true) {
            MutableRecordBatch batch;
            try {
                if (!iterator.hasNext()) {
                    break;
                }
                batch = iterator.next();
            } catch (IllegalArgumentException | IndexOutOfBoundsException | BufferUnderflowException e) {
                // a batch length field that points outside the request (kafka-clients' iterator does not check it)
                throw new CorruptRecordException(
                        "Record batch at position " + bytes + " in " + tp + " has an impossible length: " + e);
            }
            if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
                throw new UnsupportedForMessageFormatException("Record batch magic " + batch.magic() + " in " + tp
                        + " is not supported; only magic " + RecordBatch.MAGIC_VALUE_V2 + " is accepted");
            }
            if (batch.sizeInBytes() > config.maxMessageBytes()) {
                throw new RecordTooLargeException("Batch of " + batch.sizeInBytes() + " bytes in " + tp
                        + " exceeds max.message.bytes " + config.maxMessageBytes());
            }
            if (!batch.isValid()) {
                throw new CorruptRecordException("Record batch at position " + bytes + " in " + tp
                        + " is corrupt: stored CRC " + batch.checksum() + " does not match its content");
            }
            bytes += batch.sizeInBytes();
            batches.add(batch);
        }
        if (batches.isEmpty()) {
            throw new CorruptRecordException("Produce request for " + tp + " holds " + records.sizeInBytes()
                    + " bytes but no complete record batch");
        }
        if (bytes != records.sizeInBytes()) {
            throw new CorruptRecordException("Produce request for " + tp + " ends in a partial record batch: "
                    + (records.sizeInBytes() - bytes) + " trailing bytes");
        }
        return batches;
    }

    private static void validateHeader(RecordBatch batch, TopicPartition tp, LogConfig config, boolean fromClient) {
        Integer count = batch.countOrNull();
        if (count == null || count <= 0) {
            throw new InvalidRecordException("Invalid record count " + count + " in batch for " + tp);
        }
        long countFromOffsets = batch.lastOffset() - batch.baseOffset() + 1;
        if (countFromOffsets != count) {
            throw new InvalidRecordException("Batch offset range [" + batch.baseOffset() + ", " + batch.lastOffset()
                    + "] does not match its record count " + count + " in " + tp);
        }
        if (fromClient && batch.isControlBatch()) {
            throw new InvalidRecordException("Clients may not write control records, in " + tp);
        }
        if (fromClient && batch.hasProducerId() && batch.baseSequence() < 0) {
            throw new InvalidRecordException("Invalid sequence number " + batch.baseSequence()
                    + " in batch of producer " + batch.producerId() + " in " + tp);
        }
        if (batch.isTransactional() && !batch.hasProducerId()) {
            throw new InvalidRecordException("Transactional batch without producer id in " + tp);
        }
        if (config.timestampType() == TimestampType.CREATE_TIME
                && batch.timestampType() == TimestampType.LOG_APPEND_TIME) {
            throw new InvalidTimestampException("Producer may not set timestamp type LogAppendTime, in " + tp);
        }
    }

    /**
     * Reads every record of a batch, decompressing if needed, and checks offset deltas, keys and timestamps. Keeps the
     * records only when the batch is going to be re-encoded.
     */
    private static ScannedBatch scanRecords(
            MutableRecordBatch batch, TopicPartition tp, LogConfig config, long nowMs, boolean keepRecords) {
        int expectedCount = batch.countOrNull();
        boolean checkTimestamps = config.timestampType() == TimestampType.CREATE_TIME;
        long lowest = saturatedAdd(nowMs, -config.timestampBeforeMaxMs());
        long highest = saturatedAdd(nowMs, config.timestampAfterMaxMs());
        List<Record> kept = keepRecords ? new ArrayList<>(expectedCount) : null;
        List<RecordError> invalidKeys = new ArrayList<>();
        List<RecordError> invalidTimestamps = new ArrayList<>();
        long maxTimestamp = RecordBatch.NO_TIMESTAMP;
        int index = 0;
        try (CloseableIterator<Record> it = keepRecords
                ? batch.streamingIterator(BufferSupplier.NO_CACHING)
                : batch.skipKeyValueIterator(BufferSupplier.NO_CACHING)) {
            while (it.hasNext()) {
                Record record = it.next();
                if (index >= expectedCount) {
                    throw new InvalidRecordException(
                            "Batch in " + tp + " holds more records than its count " + expectedCount);
                }
                if (record.offset() - batch.baseOffset() != index) {
                    throw new InvalidRecordException("Record " + index + " of batch in " + tp + " has offset delta "
                            + (record.offset() - batch.baseOffset()) + ", expected " + index);
                }
                // KIP-467: a record that is invalid on its own is named, and the batch is refused after its last record
                long ts = record.timestamp();
                if (config.compact() && !record.hasKey()) {
                    invalidKeys.add(new RecordError(
                            index, "Compacted topic cannot accept a record without key in topic partition " + tp));
                } else if (checkTimestamps && ts != RecordBatch.NO_TIMESTAMP && (ts < lowest || ts > highest)) {
                    invalidTimestamps.add(new RecordError(
                            index,
                            "Timestamp " + ts + " of record " + index + " in " + tp + " is out of range; it must be"
                                    + " within [" + lowest + ", " + highest + "]"));
                }
                maxTimestamp = Math.max(maxTimestamp, ts);
                if (kept != null) {
                    kept.add(record);
                }
                index++;
            }
        } catch (ApiException e) {
            throw e;
        } catch (RuntimeException e) {
            // a CRC-valid batch whose payload does not decode: a broken client, not a broken wire
            throw new InvalidRecordException("Cannot read records of batch in " + tp + ": " + e.getMessage(), e);
        }
        if (index != expectedCount) {
            throw new InvalidRecordException(
                    "Batch in " + tp + " declares " + expectedCount + " records but holds " + index);
        }
        throwRecordErrors(invalidKeys, invalidTimestamps);
        return new ScannedBatch(batch, index, maxTimestamp, kept);
    }

    /**
     * Refuses a batch for the records named, as Kafka does: INVALID_TIMESTAMP if any timestamp is out of range, else
     * INVALID_RECORD; the message quotes the first three.
     */
    private static void throwRecordErrors(List<RecordError> invalidKeys, List<RecordError> invalidTimestamps) {
        if (invalidKeys.isEmpty() && invalidTimestamps.isEmpty()) {
            return;
        }
        List<RecordError> all = new ArrayList<>(invalidKeys);
        all.addAll(invalidTimestamps);
        all.sort(Comparator.comparingInt(RecordError::batchIndex));
        String message = "One or more records have been rejected due to " + all.size()
                + " record errors in total, and only showing the first three errors at most: "
                + all.subList(0, Math.min(all.size(), 3));
        if (!invalidTimestamps.isEmpty()) {
            throw new InvalidTimestamps(message, all);
        }
        throw new InvalidRecords(message, all);
    }

    private static MemoryRecords recompress(
            ScannedBatch s,
            CompressionType target,
            long baseOffset,
            LogConfig config,
            long nowMs,
            int partitionLeaderEpoch) {
        RecordBatch batch = s.batch();
        boolean logAppendTime = config.timestampType() == TimestampType.LOG_APPEND_TIME;
        ByteBuffer buffer = ByteBuffer.allocate(Math.max(batch.sizeInBytes(), 256));
        MemoryRecordsBuilder builder = new MemoryRecordsBuilder(
                buffer,
                RecordBatch.MAGIC_VALUE_V2,
                Compression.of(target).build(),
                config.timestampType(),
                baseOffset,
                logAppendTime ? nowMs : RecordBatch.NO_TIMESTAMP,
                batch.producerId(),
                batch.producerEpoch(),
                batch.baseSequence(),
                batch.isTransactional(),
                false,
                partitionLeaderEpoch,
                Integer.MAX_VALUE);
        long offset = baseOffset;
        for (Record record : s.records()) {
            builder.appendWithOffset(offset++, record);
        }
        return builder.build();
    }

    private static MemoryRecords concatenate(List<ScannedBatch> scanned, List<ByteBuffer> rebuilt) {
        int size = 0;
        for (int i = 0; i < scanned.size(); i++) {
            ScannedBatch s = scanned.get(i);
            size += s.records() != null ? rebuilt.get(i).remaining() : s.batch().sizeInBytes();
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        for (int i = 0; i < scanned.size(); i++) {
            if (scanned.get(i).records() != null) {
                out.put(rebuilt.get(i).duplicate());
            } else {
                scanned.get(i).batch().writeTo(out);
            }
        }
        out.flip();
        return MemoryRecords.readableRecords(out);
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        // overflow iff both operands have the sign opposite to the result
        if (((a ^ r) & (b ^ r)) < 0) {
            return b < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return r;
    }

    /** A batch refused for records that are invalid on their own, such as one without a key to a compacted topic. */
    private static final class InvalidRecords extends InvalidRecordException implements RecordErrors {
        private final transient List<RecordError> recordErrors;

        InvalidRecords(String message, List<RecordError> recordErrors) {
            super(message);
            this.recordErrors = List.copyOf(recordErrors);
        }

        @Override
        public List<RecordError> recordErrors() {
            return recordErrors;
        }
    }

    /** A batch refused for records with a timestamp out of range (and possibly other invalid records). */
    private static final class InvalidTimestamps extends InvalidTimestampException implements RecordErrors {
        private final transient List<RecordError> recordErrors;

        InvalidTimestamps(String message, List<RecordError> recordErrors) {
            super(message);
            this.recordErrors = List.copyOf(recordErrors);
        }

        @Override
        public List<RecordError> recordErrors() {
            return recordErrors;
        }
    }

    /** A batch after the validation pass: its record count, real max timestamp, and records if it is re-encoded. */
    private record ScannedBatch(MutableRecordBatch batch, int count, long maxTimestamp, List<Record> records) {}
}
