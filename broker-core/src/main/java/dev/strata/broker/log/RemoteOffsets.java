package dev.strata.broker.log;

import java.util.OptionalLong;

/**
 * What one tiered log knows of its remote tier: the highest offset the remote tier holds durably, which local
 * retention may delete up to, and the rules for moving the log start offset when the remote tier's history shrinks
 * (remote retention) or goes away (tiering turned off). Tiering tells the log through {@link LocalLog}'s
 * {@code onHighestRemoteOffset}, {@code onRemoteLogStartOffset} and {@code onRemoteStorageDisabled}.
 *
 * <p>Thread safety: the {@code on...} methods run under the owning log's lock (the log calls them so, and raises its
 * log start offset under the same lock); {@link #highestRemoteOffset} is volatile, so readers need no lock.
 */
final class RemoteOffsets {

    /** The highest offset the remote tier holds durably (tiered logs only), or -1. */
    private volatile long highestRemoteOffset = -1L;

    /** The highest offset the remote tier holds durably, or -1 when it holds none (or the log is not tiered). */
    long highestRemoteOffset() {
        return highestRemoteOffset;
    }

    /**
     * The remote tier now holds every offset up to and including {@code offset}. A copy that ends after tiering was
     * turned off ({@code remoteStorageEnabled} false) counts for nothing: its remote data is being deleted.
     */
    void onHighestRemoteOffset(long offset, boolean remoteStorageEnabled) {
        if (remoteStorageEnabled) {
            highestRemoteOffset = Math.max(highestRemoteOffset, offset);
        }
    }

    /**
     * Tiering was turned off and the remote data is being deleted: nothing counts as held remotely any more.
     *
     * @return the offset the log start offset must rise to (the local log start offset), or empty
     */
    OptionalLong onRemoteStorageDisabled(long logStartOffset, long localLogStartOffset) {
        highestRemoteOffset = -1L;
        return localLogStartOffset > logStartOffset ? OptionalLong.of(localLogStartOffset) : OptionalLong.empty();
    }

    /**
     * Remote retention deleted every remote offset below {@code remoteLogStartOffset}.
     *
     * @return the offset the log start offset must rise to (never past the high watermark), or empty
     */
    static OptionalLong onRemoteLogStartOffset(long remoteLogStartOffset, long logStartOffset, long highWatermark) {
        long newStart = Math.min(remoteLogStartOffset, highWatermark);
        return newStart > logStartOffset ? OptionalLong.of(newStart) : OptionalLong.empty();
    }
}
