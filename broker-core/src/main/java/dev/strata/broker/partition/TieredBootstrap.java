package dev.strata.broker.partition;

/**
 * How a follower whose fetch offset only its leader's remote tier holds (the leader answered
 * OFFSET_MOVED_TO_TIERED_STORAGE) starts its log right after that tier, as KIP-405 describes: with the leader-epoch
 * history and producer state of the last remote segment, so that it then fetches only the leader's local hot tail. The
 * remote tier implements it ({@code broker.tiering.RemoteTierBootstrap}); this package only calls it. Called on the
 * replica fetcher thread of the partition's leader, which it may block on the remote store.
 */
@FunctionalInterface
public interface TieredBootstrap {

    /** A broker without a remote tier: the follower backs off and asks again. */
    TieredBootstrap NONE = (partition, leaderLogStartOffset) -> false;

    /**
     * Restarts the follower's log after the remote tier if this broker knows a remote tier beyond the log's end.
     *
     * @param leaderLogStartOffset the leader's log start offset, which the restarted log keeps
     * @return whether the log was restarted; false to back off and ask again (this broker's remote index may not have
     *     caught up with the leader's yet)
     */
    boolean restartAfterRemoteTier(Partition partition, long leaderLogStartOffset);
}
