package dev.strata.broker.api;

import dev.strata.broker.log.FetchDataInfo;
import dev.strata.broker.log.LocalLog;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.broker.network.RequestContext;
import dev.strata.broker.partition.DelayedFetch;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.ReplicaManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.FetchRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetch for consumers: reads each partition up to its high watermark within the request's and the partition's byte
 * limits, and parks the request (without a thread) until {@code min.bytes} are there or {@code max.wait.ms} passes.
 * Fetch sessions are answered as full fetches: the response's session id is 0, so clients send every partition in
 * every request.
 */
public final class FetchHandler {
    private static final Logger log = LoggerFactory.getLogger(FetchHandler.class);

    private final TopicManager topics;
    private final ReplicaManager replicas;

    public FetchHandler(TopicManager topics, ReplicaManager replicas) {
        this.topics = topics;
        this.replicas = replicas;
    }

    public CompletableFuture<ApiMessage> handle(RequestContext ctx, FetchRequest request) {
        var data = request.data();
        if (data.sessionId() != 0) {
            return CompletableFuture.completedFuture(
                    new FetchResponseData().setErrorCode(Errors.FETCH_SESSION_ID_NOT_FOUND.code()));
        }
        List<Target> targets = new ArrayList<>();
        for (FetchTopic ft : data.topics()) {
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
        int maxBytes = data.maxBytes() <= 0 ? Integer.MAX_VALUE : data.maxBytes();
        return replicas.<ApiMessage>fetch(
                watched, data.maxWaitMs(), last -> readAll(targets, minBytes, maxBytes, request.version()));
    }

    private DelayedFetch.Attempt<ApiMessage> readAll(List<Target> targets, int minBytes, int maxBytes, short version) {
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
            PartitionData pd = read(t, maxBytes - bytes, bytes == 0, version);
            if (pd.errorCode() != Errors.NONE.code()) {
                error = true;
            }
            bytes += pd.records() == null ? 0 : pd.records().sizeInBytes();
            current.partitions().add(pd);
        }
        return new DelayedFetch.Attempt<>(response, error || bytes >= minBytes);
    }

    private PartitionData read(Target t, int remainingBytes, boolean minOneMessage, short version) {
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
        if (fp.currentLeaderEpoch() >= 0 && fp.currentLeaderEpoch() != p.leaderEpoch()) {
            Errors e = fp.currentLeaderEpoch() < p.leaderEpoch()
                    ? Errors.FENCED_LEADER_EPOCH
                    : Errors.UNKNOWN_LEADER_EPOCH;
            return pd.setErrorCode(e.code());
        }
        LocalLog log = p.log();
        long hw = log.highWatermark();
        pd.setHighWatermark(hw).setLastStableOffset(hw).setLogStartOffset(log.logStartOffset());
        int limit = Math.min(Math.max(0, fp.partitionMaxBytes()), Math.max(0, remainingBytes));
        if (limit == 0 && !minOneMessage) {
            return pd;
        }
        try {
            FetchDataInfo info = log.read(fp.fetchOffset(), limit, hw, minOneMessage);
            return pd.setRecords(info.records());
        } catch (ApiException e) {
            FetchHandler.log.debug(
                    "Fetch from {} at {} failed: {}", p.topicPartition(), fp.fetchOffset(), e.toString());
            return pd.setErrorCode(Errors.forException(e).code());
        }
    }

    /** One requested partition and what its topic resolved to. */
    private record Target(String name, Uuid id, Optional<TopicMetadata> topic, FetchPartition request) {}
}
