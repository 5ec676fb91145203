package dev.strata.broker.api;

import dev.strata.broker.log.AbortedTxn;
import dev.strata.broker.log.FetchDataInfo;
import dev.strata.broker.log.LocalLog;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.broker.network.RequestContext;
import dev.strata.broker.partition.DelayedFetch;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.ReplicaFetch;
import dev.strata.broker.partition.ReplicaManager;
import dev.strata.index.AbortedTxnSearch;
import dev.strata.index.RemoteAbortedTxn;
import dev.strata.tiering.RemoteLogReader;
import dev.strata.tiering.RemoteRecords;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.AbortedTransaction;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.requests.FetchRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetch for consumers: reads each partition up to its high watermark (only on its leader: elsewhere it is
 * NOT_LEADER_OR_FOLLOWER) within the request's and the partition's byte
 * limits, and parks the request (without a thread) until {@code min.bytes} are there or {@code max.wait.ms} passes.
 * Consumers' fetches use incremental fetch sessions (KIP-227) as {@link FetchSessionCache} decides: a session's fetch
 * reads every partition of the session and answers only those with records or news; a follower's fetch is always
 * full (session id 0).
 *
 * <p>A partition of a tiered topic fetched below its local log start offset (but at or above its log start offset) is
 * read from the remote tier: the read runs on the remote reader pool and the response is completed when every such
 * read has, or {@code remote.fetch.max.wait.ms} after the request at the latest, as Kafka's delayed remote fetch does:
 * partitions whose remote read is not done by then are answered with no records and no error (the read goes on and
 * fills the chunk cache for the consumer's next fetch). Such a fetch does not park for {@code min.bytes} and never
 * blocks the calling thread on remote I/O. Each remote read is given the partition's byte limit within what is left
 * of the request's, which it does not exceed except for a first batch too large for it (as Kafka returns one whole
 * when it is the first data of the response), so {@code max.bytes} and the partitions' limits hold across many remote
 * partitions. Every remote partition of a request is read, in parallel, as Kafka 4.3.1 reads them (KAFKA-14915); what
 * one request reads from the remote tier is capped at {@code remote.fetch.max.bytes} whatever the client asks, shared
 * among its remote partitions: each gets at most an equal share of it, and no less than a
 * {@value #MAX_REMOTE_READS_PER_FETCH}th, so that a catching-up consumer's partitions are read side by side rather
 * than one per request while a request for hundreds of partitions does not start hundreds of small reads. The remote
 * partitions past the cap are answered with no records, for the client's next fetch.
 *
 * <p>A fetch from a follower (a replica id, in {@code ReplicaState} from v15) is served by
 * {@link ReplicaManager#fetchAsLeader}: up to the log end, with a diverging epoch where the follower's log parts from
 * this one.
 */
public final class FetchHandler {
    private static final Logger log = LoggerFactory.getLogger(FetchHandler.class);
    /** A remote partition's share of {@code remote.fetch.max.bytes} is at least this fraction of it. */
    static final int MAX_REMOTE_READS_PER_FETCH = 8;

    private final TopicManager topics;
    private final ReplicaManager replicas;
    /** The remote tier's reader, or null when this broker does not tier. */
    private final RemoteLogReader remoteReader;

    private final FetchSessionCache sessions;

    private final long remoteFetchMaxWaitMs;
    private final int remoteFetchMaxBytes;

    /**
     * @param remoteReader the remote tier's reader, or null when this broker does not tier
     * @param remoteFetchMaxWaitMs {@code remote.fetch.max.wait.ms}: how long a fetch waits for remote reads
     * @param remoteFetchMaxBytes {@code remote.fetch.max.bytes}: the most one request reads from the remote tier
     * @param sessions the broker's incremental fetch sessions
     */
    public FetchHandler(
            TopicManager topics,
            ReplicaManager replicas,
            RemoteLogReader remoteReader,
            long remoteFetchMaxWaitMs,
            int remoteFetchMaxBytes,
            FetchSessionCache sessions) {
        this.sessions = sessions;
        this.topics = topics;
        this.replicas = replicas;
        this.remoteReader = remoteReader;
        this.remoteFetchMaxWaitMs = remoteFetchMaxWaitMs;
        this.remoteFetchMaxBytes = remoteFetchMaxBytes;
    }

    public CompletableFuture<ApiMessage> handle(RequestContext ctx, FetchRequest request) {
        var data = request.data();
        if (request.replicaId() >= 0) {
            if (data.sessionId() != 0) {
                return CompletableFuture.completedFuture(
                        new FetchResponseData().setErrorCode(Errors.FETCH_SESSION_ID_NOT_FOUND.code()));
            }
            return handleReplica(request);
        }
        FetchContext context = sessions.newContext(request.version(), data, false);
        if (context.error() != Errors.NONE) {
            return CompletableFuture.completedFuture(context.complete(null));
        }
        List<Target> targets = new ArrayList<>();
        for (FetchTopic ft : context.topics()) {
            Optional<TopicMetadata> topic =
                    ft.topic() == null || ft.topic().isEmpty() ? topics.topic(ft.topicId()) : topics.topic(ft.topic());
            for (FetchPartition fp : ft.partitions()) {
                targets.add(new Target(ft.topic(), ft.topicId(), topic, fp));
            }
        }
        List<TopicPartition> watched = targets.stream()
                .filter(t -> t.topic.isPresent())
                .map(t -> new TopicPartition(t.topic.get().name(), t.request.partition()))
                .toList();
        int minBytes = Math.max(0, data.minBytes());
        boolean readCommitted = data.isolationLevel() == IsolationLevel.READ_COMMITTED.id();
        int maxBytes = data.maxBytes() <= 0 ? Integer.MAX_VALUE : data.maxBytes();
        long remotePartitions = targets.stream().filter(this::isRemote).count();
        if (remotePartitions > 0) {
            List<RemoteRead> remoteReads = new ArrayList<>();
            FetchResponseData response = readAll(
                            targets,
                            minBytes,
                            maxBytes,
                            request.version(),
                            readCommitted,
                            remoteReads,
                            remoteShare(remoteFetchMaxBytes, remotePartitions))
                    .result();
            return replicas.remoteFetch(
                    remoteReads.stream().map(RemoteRead::result).toList(), remoteFetchMaxWaitMs, () -> {
                        remoteReads.forEach(RemoteRead::applyIfDone);
                        return context.complete(response);
                    });
        }
        return replicas.<FetchResponseData>fetch(
                        watched,
                        data.maxWaitMs(),
                        last -> readAll(targets, minBytes, maxBytes, request.version(), readCommitted, null, 0))
                .<ApiMessage>thenApply(context::complete);
    }

    /**
     * A follower's fetch ({@code ReplicaState} with its node id): the replica manager serves it as leader, reading up
     * to the log end and recording where the follower is.
     */
    private CompletableFuture<ApiMessage> handleReplica(FetchRequest request) {
        ReplicaFetch fetch = ReplicaFetchMessages.fromRequest(
                request, id -> topics.topic(id).map(TopicMetadata::name).orElse(null));
        return replicas.fetchAsLeader(fetch)
                .thenApply(results -> ReplicaFetchMessages.toResponse(fetch, results, request.version()));
    }

    /** Whether the target's fetch offset lies in the remote tier only. */
    private boolean isRemote(Target t) {
        if (t.topic.isEmpty() || remoteReader == null) {
            return false;
        }
        return replicas.partition(new TopicPartition(t.topic.get().name(), t.request.partition()))
                .map(p -> isRemote(p.log(), t.request.fetchOffset()))
                .orElse(false);
    }

    /**
     * The most one of a request's {@code remotePartitions} partitions may read from the remote tier: an equal share of
     * {@code remoteFetchMaxBytes}, and no less than a {@value #MAX_REMOTE_READS_PER_FETCH}th of it.
     */
    static int remoteShare(int remoteFetchMaxBytes, long remotePartitions) {
        long share = Math.max(
                remoteFetchMaxBytes / Math.max(1, remotePartitions), remoteFetchMaxBytes / MAX_REMOTE_READS_PER_FETCH);
        return (int) Math.max(1, share);
    }

    private static boolean isRemote(LocalLog log, long offset) {
        return log.remoteStorageEnabled() && offset >= log.logStartOffset() && offset < log.localLogStartOffset();
    }

    /**
     * @param remoteReads collects the reads from the remote tier that the response waits for; null when remote reads
     *     are not allowed (a parked fetch's attempt), in which case such partitions answer with no records
     * @param remoteShare the most each partition reads from the remote tier ({@link #remoteShare})
     */
    private DelayedFetch.Attempt<FetchResponseData> readAll(
            List<Target> targets,
            int minBytes,
            int maxBytes,
            short version,
            boolean readCommitted,
            List<RemoteRead> remoteReads,
            int remoteShare) {
        FetchResponseData response = new FetchResponseData().setSessionId(0);
        FetchableTopicResponse current = null;
        int bytes = 0;
        boolean error = false;
        for (Target t : targets) {
            if (current == null
                    || !java.util.Objects.equals(current.topic(), t.name)
                    || !current.topicId().equals(t.id)) {
                current = new FetchableTopicResponse().setTopic(t.name).setTopicId(t.id);
                response.responses().add(current);
            }
            int remoteBefore = remoteReads == null ? 0 : remoteReads.size();
            PartitionData pd = read(t, maxBytes - bytes, bytes == 0, version, readCommitted, remoteReads, remoteShare);
            if (pd.errorCode() != Errors.NONE.code()) {
                error = true;
            }
            if (remoteReads != null && remoteReads.size() > remoteBefore) {
                // a remote read may return up to its limit: keep that much of the response's budget for it
                bytes += Math.max(1, remoteReads.get(remoteReads.size() - 1).limit());
            } else {
                bytes += pd.records() == null ? 0 : pd.records().sizeInBytes();
            }
            current.partitions().add(pd);
        }
        return new DelayedFetch.Attempt<>(response, error || bytes >= minBytes);
    }

    /**
     * @param readCommitted {@code isolation.level=read_committed}: read up to the last stable offset, not the high
     *     watermark, and name the aborted transactions among the records returned
     */
    private PartitionData read(
            Target t,
            int remainingBytes,
            boolean minOneMessage,
            short version,
            boolean readCommitted,
            List<RemoteRead> remoteReads,
            int remoteShare) {
        FetchPartition fp = t.request;
        PartitionData pd = new PartitionData()
                .setPartitionIndex(fp.partition())
                .setRecords(MemoryRecords.EMPTY)
                .setHighWatermark(-1)
                .setLastStableOffset(-1)
                .setLogStartOffset(-1);
        if (t.topic.isEmpty()) {
            boolean byId = version >= 13;
            return pd.setErrorCode((byId ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION).code());
        }
        Optional<Partition> partition =
                replicas.partition(new TopicPartition(t.topic.get().name(), fp.partition()));
        if (partition.isEmpty()) {
            return pd.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        }
        Partition p = partition.get();
        Errors epochError = p.checkClientEpoch(fp.currentLeaderEpoch(), true);
        if (epochError != Errors.NONE) {
            return pd.setErrorCode(epochError.code());
        }
        LocalLog log = p.log();
        long hw = log.highWatermark();
        long lso = log.lastStableOffset();
        pd.setHighWatermark(hw).setLastStableOffset(lso).setLogStartOffset(log.logStartOffset());
        int limit = Math.min(Math.max(0, fp.partitionMaxBytes()), Math.max(0, remainingBytes));
        if (limit == 0 && !minOneMessage) {
            return pd;
        }
        if (isRemote(log, fp.fetchOffset())) {
            int remoteLeft = remoteReads == null
                    ? 0
                    : remoteFetchMaxBytes
                            - remoteReads.stream().mapToInt(RemoteRead::limit).sum();
            if (remoteLeft > 0) {
                int remoteLimit = Math.min(limit, Math.min(remoteLeft, remoteShare));
                remoteReads.add(readRemote(p, fp.fetchOffset(), remoteLimit, minOneMessage, readCommitted, pd));
            }
            return pd;
        }
        try {
            FetchDataInfo info = log.read(fp.fetchOffset(), limit, readCommitted ? lso : hw, minOneMessage);
            pd.setRecords(info.records());
            if (readCommitted) {
                pd.setAbortedTransactions(abortedTransactions(log, fp.fetchOffset(), info.records()));
            }
            return pd;
        } catch (ApiException e) {
            FetchHandler.log.debug(
                    "Fetch from {} at {} failed: {}", p.topicPartition(), fp.fetchOffset(), e.toString());
            return pd.setErrorCode(Errors.forException(e).code());
        }
    }

    /** The aborted transactions among {@code records}, read from {@code log} at {@code fetchOffset}. */
    private static List<AbortedTransaction> abortedTransactions(LocalLog log, long fetchOffset, Records records) {
        long upperBound = upperBound(records);
        List<AbortedTransaction> aborted = new ArrayList<>();
        if (upperBound > fetchOffset) {
            addLocal(aborted, log, fetchOffset, upperBound);
        }
        return aborted;
    }

    /**
     * The aborted transactions among records read from the remote tier from {@code fetchOffset} to {@code upperBound}
     * (the offset after their last batch): those the
     * remote index records for the remote segments from {@code fetchOffset} on, then, as Kafka goes on into the local
     * log when the remote segments cannot settle it (a transaction that started in the range may be aborted by a
     * marker not yet tiered), those of the local log after the last remote offset searched.
     */
    private List<AbortedTransaction> remoteAbortedTransactions(
            TopicIdPartition tip, LocalLog log, long fetchOffset, long upperBound) {
        List<AbortedTransaction> aborted = new ArrayList<>();
        if (upperBound <= fetchOffset) {
            return aborted;
        }
        AbortedTxnSearch remote = remoteReader.abortedTxns(tip, fetchOffset, upperBound);
        for (RemoteAbortedTxn txn : remote.aborted()) {
            aborted.add(abortedTransaction(txn.producerId(), txn.firstOffset()));
        }
        if (!remote.complete()) {
            addLocal(aborted, log, Math.max(fetchOffset, remote.searchedUpTo() + 1), upperBound);
        }
        return aborted;
    }

    private static void addLocal(List<AbortedTransaction> aborted, LocalLog log, long from, long upperBound) {
        for (AbortedTxn txn : log.collectAbortedTransactions(from, upperBound)) {
            aborted.add(abortedTransaction(txn.producerId(), txn.firstOffset()));
        }
    }

    private static AbortedTransaction abortedTransaction(long producerId, long firstOffset) {
        return new AbortedTransaction().setProducerId(producerId).setFirstOffset(firstOffset);
    }

    /** The offset after the last batch of {@code records}, -1 when there is none. */
    private static long upperBound(Records records) {
        long upperBound = -1;
        for (RecordBatch batch : records.batches()) {
            upperBound = batch.lastOffset() + 1;
        }
        return upperBound;
    }

    /**
     * Starts a read from the remote tier for {@code pd}; its result completes (never exceptionally) on a remote reader
     * thread, and is applied to {@code pd} only if it is done when the response is built. Under {@code read_committed}
     * that thread also looks up the aborted transactions among the records read (the remote index, then if needed the
     * local transaction indexes): the remote tier holds only data below the last stable offset, so the records need no
     * cut.
     */
    private RemoteRead readRemote(
            Partition p, long offset, int limit, boolean minOneMessage, boolean readCommitted, PartitionData pd) {
        TopicIdPartition tip = new TopicIdPartition(p.topicId(), p.topicPartition());
        CompletableFuture<RemoteRecords> read;
        try {
            read = remoteReader.readRecordParts(tip, offset, Math.max(1, limit));
        } catch (RuntimeException e) {
            read = CompletableFuture.failedFuture(e);
        }
        return new RemoteRead(pd, limit, read.handle((remote, error) -> {
            if (error != null) {
                Throwable cause = cause(error);
                FetchHandler.log.debug("Remote fetch from {} at {} failed: {}", tip, offset, cause.toString());
                return Outcome.of(
                        data -> data.setErrorCode(remoteReadError(cause).code()));
            }
            if (!minOneMessage && remote.sizeInBytes() > limit) {
                remote.close();
                return Outcome.of(data -> {});
            }
            BaseRecords records = ChunkRecords.of(remote);
            if (!readCommitted) {
                return new Outcome(data -> data.setRecords(records), remote);
            }
            try {
                List<AbortedTransaction> aborted = remoteAbortedTransactions(tip, p.log(), offset, remote.upperBound());
                return new Outcome(data -> data.setRecords(records).setAbortedTransactions(aborted), remote);
            } catch (RuntimeException e) {
                remote.close();
                FetchHandler.log.warn("Aborted transactions of {} at {} could not be read", tip, offset, e);
                return Outcome.of(
                        data -> data.setErrorCode(Errors.forException(e).code()));
            }
        }));
    }

    /**
     * The error code of a failed remote read. Corrupt remote data of any kind (a batch failing its CRC, bytes missing
     * from a truncated object, an object its backend reports corrupt or cannot verify) fails the read with a
     * {@link org.apache.kafka.common.errors.CorruptRecordException} and is {@code CORRUPT_MESSAGE}, on which a consumer
     * stops and throws (the reader logs it at WARN, once per segment); on {@code UNKNOWN_SERVER_ERROR}, the code of a
     * backend failure, it logs and retries, which is right for a store that is down but would hide corruption.
     */
    static Errors remoteReadError(Throwable error) {
        return Errors.forException(cause(error));
    }

    private static Throwable cause(Throwable error) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** One requested partition and what its topic resolved to. */
    private record Target(String name, Uuid id, Optional<TopicMetadata> topic, FetchPartition request) {}

    /**
     * A partition's read from the remote tier of up to {@code limit} bytes: {@code result} completes with what the read
     * puts into the partition's response, its records or its error.
     */
    private record RemoteRead(PartitionData partition, int limit, CompletableFuture<Outcome> result) {

        /**
         * Puts the read's records or error into the partition's response, if the read is done; else nothing, and the
         * records it ends with are closed, never sent.
         */
        void applyIfDone() {
            Outcome outcome = result.getNow(null);
            if (outcome != null) {
                outcome.apply().accept(partition);
            } else {
                result.thenAccept(late -> late.records().ifPresent(RemoteRecords::close));
            }
        }
    }

    /** What a remote read puts into its partition's response, and the records it holds open until they are sent. */
    private record Outcome(Consumer<PartitionData> apply, Optional<RemoteRecords> records) {
        Outcome(Consumer<PartitionData> apply, RemoteRecords records) {
            this(apply, Optional.of(records));
        }

        static Outcome of(Consumer<PartitionData> apply) {
            return new Outcome(apply, Optional.empty());
        }
    }
}
