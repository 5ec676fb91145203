package dev.strata.broker.log;

import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Records;

/**
 * What a read of the log returned.
 *
 * @param fetchOffset the offset the read asked for
 * @param records a slice of a segment file (sent zero-copy) or {@link MemoryRecords#EMPTY}
 * @param firstEntryIncomplete true when {@code maxBytes} cut the first batch short, so the caller must retry bigger
 */
public record FetchDataInfo(long fetchOffset, Records records, boolean firstEntryIncomplete) {

    public FetchDataInfo(long fetchOffset, Records records) {
        this(fetchOffset, records, false);
    }

    public static FetchDataInfo empty(long fetchOffset) {
        return new FetchDataInfo(fetchOffset, MemoryRecords.EMPTY);
    }
}
