package dev.strata.tiering;

/**
 * The topic settings that drive tiering of one partition, with Kafka's names and meanings.
 *
 * @param remoteStorageEnable {@code remote.storage.enable}: whether the partition is tiered at all
 * @param retentionMs {@code retention.ms} over the whole log (both tiers); negative means unlimited
 * @param retentionBytes {@code retention.bytes} over the whole log (both tiers); negative means unlimited
 * @param localRetentionMs {@code local.retention.ms}; {@value #FOLLOW_RETENTION} means "as {@code retention.ms}"
 * @param localRetentionBytes {@code local.retention.bytes}; {@value #FOLLOW_RETENTION} means "as
 *     {@code retention.bytes}"
 * @param copyDisabled {@code remote.log.copy.disable} (KIP-950): stop copying, keep serving and expiring remote data
 * @param deleteOnDisable {@code remote.log.delete.on.disable} (KIP-950): when tiering is turned off, delete the
 *     partition's remote data
 */
public record TieringConfig(
        boolean remoteStorageEnable,
        long retentionMs,
        long retentionBytes,
        long localRetentionMs,
        long localRetentionBytes,
        boolean copyDisabled,
        boolean deleteOnDisable) {

    /** The value of {@code local.retention.*} that means "follow {@code retention.*}". */
    public static final long FOLLOW_RETENTION = -2L;

    public TieringConfig {
        if (localRetentionMs < FOLLOW_RETENTION || localRetentionBytes < FOLLOW_RETENTION) {
            throw new IllegalArgumentException("local.retention.ms and local.retention.bytes must be >= -2, were "
                    + localRetentionMs + " and " + localRetentionBytes);
        }
    }

    /** Tiering on, unlimited retention, local retention following it. */
    public static TieringConfig enabled() {
        return new TieringConfig(true, -1L, -1L, FOLLOW_RETENTION, FOLLOW_RETENTION, false, false);
    }

    /** The local retention time in effect: {@code local.retention.ms}, or {@code retention.ms} when it is -2. */
    public long effectiveLocalRetentionMs() {
        return localRetentionMs == FOLLOW_RETENTION ? retentionMs : localRetentionMs;
    }

    /** The local retention size in effect: {@code local.retention.bytes}, or {@code retention.bytes} when it is -2. */
    public long effectiveLocalRetentionBytes() {
        return localRetentionBytes == FOLLOW_RETENTION ? retentionBytes : localRetentionBytes;
    }
}
