package dev.strata.index;

import java.util.List;

/**
 * What {@link RemoteIndexStore#abortedTxns} found for a {@code read_committed} fetch of the remote tier.
 *
 * @param aborted the aborted transactions that overlap the fetched range, by increasing marker offset
 * @param complete whether an entry showed that no later marker can concern the range, so the search may stop
 * @param searchedUpTo the highest offset whose markers were searched (the remote tier's highest offset, -1 when it
 *     holds nothing): when not complete, the search goes on in the local log from the next offset
 */
public record AbortedTxnSearch(List<RemoteAbortedTxn> aborted, boolean complete, long searchedUpTo) {

    public AbortedTxnSearch {
        aborted = List.copyOf(aborted);
    }
}
