package dev.strata.broker.txn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

class TxnMarkerSenderTest {
    private static final int HERE = 1;
    private static final TopicPartition A = new TopicPartition("t", 0);
    private static final TopicPartition B = new TopicPartition("t", 1);

    private final List<String> appended = new CopyOnWriteArrayList<>();
    private final List<String> sent = new CopyOnWriteArrayList<>();

    private TxnMarkerSender sender(Map<TopicPartition, Errors> localErrors) {
        return new TxnMarkerSender(
                HERE,
                (tp, pid, epoch, coordinatorEpoch, commit) -> {
                    appended.add(tp + " " + pid + "/" + epoch + " " + commit + " @" + coordinatorEpoch);
                    return CompletableFuture.completedFuture(localErrors.getOrDefault(tp, Errors.NONE));
                },
                (broker, pid, epoch, commit, coordinatorEpoch, partitions) -> {
                    sent.add(broker + " " + partitions);
                    return CompletableFuture.completedFuture(Map.of(A, Errors.NOT_LEADER_OR_FOLLOWER));
                },
                Runnable::run);
    }

    @Test
    void markersForPartitionsLedHereAreAppendedWithoutANetworkHopAndAnsweredPerPartition() throws Exception {
        Map<TopicPartition, Errors> answer = sender(Map.of(B, Errors.NOT_ENOUGH_REPLICAS))
                .send(HERE, 7L, (short) 2, true, 5, Set.of(A, B))
                .get();
        assertThat(answer).containsOnly(Map.entry(A, Errors.NONE), Map.entry(B, Errors.NOT_ENOUGH_REPLICAS));
        assertThat(appended).containsExactlyInAnyOrder("t-0 7/2 true @5", "t-1 7/2 true @5");
        assertThat(sent).isEmpty();
    }

    @Test
    void markersForAnotherBrokersPartitionsGoToItAndItsAnswerIsPassedOn() throws Exception {
        Map<TopicPartition, Errors> answer =
                sender(Map.of()).send(2, 7L, (short) 2, false, 5, Set.of(A)).get();
        assertThat(answer).containsOnly(Map.entry(A, Errors.NOT_LEADER_OR_FOLLOWER));
        assertThat(sent).containsExactly("2 [t-0]");
        assertThat(appended).isEmpty();
    }
}
