package dev.strata.bench.jmh;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;

/** The record batch every micro-benchmark works on: one producer batch of about 16 KiB, as a producer sends it. */
final class Batches {
    /** Fifteen 1 KiB values and the v2 batch and record headers come to just under 16 KiB. */
    static final int RECORDS = 15;

    static final int VALUE_SIZE = 1024;

    private Batches() {}

    /** A fresh, uncompressed v2 batch with base offset 0 and its own buffer. */
    static MemoryRecords batch16k() {
        SplittableRandom random = new SplittableRandom(42);
        SimpleRecord[] records = new SimpleRecord[RECORDS];
        long now = System.currentTimeMillis();
        for (int i = 0; i < RECORDS; i++) {
            byte[] value = new byte[VALUE_SIZE];
            for (int j = 0; j < value.length; j++) {
                value[j] = (byte) ('A' + random.nextInt(26));
            }
            records[i] = new SimpleRecord(now, null, value);
        }
        return MemoryRecords.withRecords(Compression.NONE, records);
    }

    /** A copy of {@code records} in a buffer of its own, for benchmarks whose code rewrites batch headers. */
    static MemoryRecords copyOf(MemoryRecords records) {
        ByteBuffer src = records.buffer().duplicate();
        ByteBuffer copy = ByteBuffer.allocate(src.remaining());
        copy.put(src).flip();
        return MemoryRecords.readableRecords(copy);
    }
}
