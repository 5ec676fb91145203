package dev.strata.tiering;

import java.util.concurrent.atomic.LongAdder;

/**
 * The counters of a {@link RemoteLogManager} behind {@link RemoteLogManagerStats}: what its copies, deletions and
 * their failures added up to since it started. Any thread adds; {@link RemoteLogManager#stats} sums.
 */
final class TieringCounters {
    final LongAdder copiedBytes = new LongAdder();
    final LongAdder copiedSegments = new LongAdder();
    final LongAdder copyErrors = new LongAdder();
    final LongAdder deletedSegments = new LongAdder();
    final LongAdder deleteErrors = new LongAdder();
}
