package dev.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;

/** The remote reader's CRC check agrees with Kafka's on read-only views, byte for byte of a batch. */
class BatchChecksumTest {
    private static final int AT = 7;

    @Test
    void aReadOnlyBatchIsValidAndEveryCorruptedByteIsCaughtAsKafkaCatchesIt() {
        ByteBuffer batch = batch();
        int size = batch.remaining();
        ByteBuffer padded = ByteBuffer.allocate(size + 10);
        padded.position(AT).put(batch.duplicate()).clear();

        assertThat(check(padded.asReadOnlyBuffer(), size)).isTrue();
        int compared = 0;
        for (int i = 0; i < size; i++) {
            ByteBuffer corrupt =
                    ByteBuffer.allocate(size + 10).put(padded.duplicate()).clear();
            corrupt.put(AT + i, (byte) (corrupt.get(AT + i) ^ 0x5a));
            // the reader takes a batch's size from its length field, as Kafka does, and refuses one past its bytes
            int claimed = Records.LOG_OVERHEAD + corrupt.getInt(AT + Records.SIZE_OFFSET);
            if (claimed <= Records.LOG_OVERHEAD || claimed > size) {
                continue;
            }
            Boolean kafka = kafkaIsValid(
                    corrupt.duplicate().position(AT).limit(AT + claimed).slice());
            if (kafka == null) {
                continue; // an invalid magic: the batch does not parse, in the reader either
            }
            assertThat(check(corrupt.asReadOnlyBuffer(), claimed))
                    .as("byte %d", i)
                    .isEqualTo(kafka);
            compared++;
        }
        assertThat(compared).isGreaterThan(size - 10);
    }

    /** Kafka's own check on a writable copy; null when the batch does not parse. */
    private static Boolean kafkaIsValid(ByteBuffer writable) {
        try {
            return MemoryRecords.readableRecords(writable)
                    .batches()
                    .iterator()
                    .next()
                    .isValid();
        } catch (CorruptRecordException e) {
            return null;
        }
    }

    private static boolean check(ByteBuffer buffer, int size) {
        ByteBuffer view = buffer.duplicate().position(AT).limit(AT + size).slice();
        return BatchChecksum.isValid(
                buffer,
                AT,
                size,
                MemoryRecords.readableRecords(view).batches().iterator().next());
    }

    private static ByteBuffer batch() {
        SimpleRecord[] records = new SimpleRecord[5];
        for (int i = 0; i < records.length; i++) {
            records[i] = new SimpleRecord(1_700_000_000_000L + i, ("value-" + i).getBytes(StandardCharsets.UTF_8));
        }
        return MemoryRecords.withRecords(42L, Compression.NONE, records).buffer();
    }
}
