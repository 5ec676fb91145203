package dev.strata.broker.txn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.ClusterImage;
import dev.strata.broker.cluster.PartitionState;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

class TxnMarkerSenderTest {
    private static final TopicPartition HERE = new TopicPartition("t", 0);
    private static final TopicPartition THERE = new TopicPartition("t", 1);
    private static final TopicPartition GONE = new TopicPartition("deleted", 0);

    private final List<String> appended = new CopyOnWriteArrayList<>();
    private final List<String> sent = new CopyOnWriteArrayList<>();

    private static ClusterImage cluster(Map<TopicPartition, Integer> leaders) {
        return new ClusterImage() {
            @Override
            public Collection<ClusterBroker> brokers() {
                return List.of();
            }

            @Override
            public Optional<ClusterBroker> broker(int nodeId) {
                return Optional.empty();
            }

            @Override
            public Optional<PartitionState> partition(TopicPartition tp) {
                return Optional.ofNullable(leaders.get(tp))
                        .map(l -> new PartitionState(List.of(1, 2), List.of(1, 2), l, 3, 3));
            }

            @Override
            public Map<Integer, PartitionState> partitions(Uuid topicId) {
                return Map.of();
            }

            @Override
            public int controllerId() {
                return -1;
            }
        };
    }

    private TxnMarkerSender sender(Map<TopicPartition, Errors> localErrors, RemoteMarkerSender remote) {
        return new TxnMarkerSender(
                1,
                () -> cluster(Map.of(HERE, 1, THERE, 2)),
                (tp, pid, epoch, coordinatorEpoch, commit) -> {
                    appended.add(tp + " " + pid + "/" + epoch + " " + commit + " @" + coordinatorEpoch);
                    return CompletableFuture.completedFuture(localErrors.getOrDefault(tp, Errors.NONE));
                },
                remote,
                Runnable::run);
    }

    @Test
    void eachMarkerGoesToItsPartitionsLeaderAndAGoneTopicNeedsNone() throws Exception {
        TxnMarkerSender sender = sender(Map.of(), (broker, pid, epoch, commit, coordinatorEpoch, partitions) -> {
            sent.add(broker + " " + partitions + " " + commit + " @" + coordinatorEpoch);
            return CompletableFuture.completedFuture(Map.of(THERE, Errors.NONE));
        });
        sender.write(7L, (short) 2, true, 5, Set.of(HERE, THERE, GONE)).get();
        assertThat(appended).containsExactly(HERE + " 7/2 true @5");
        assertThat(sent).containsExactly("2 [" + THERE + "] true @5");
    }

    @Test
    void aMarkerThatFailsFailsTheWriteSoThatTheCoordinatorRetries() {
        TxnMarkerSender local = sender(Map.of(HERE, Errors.NOT_LEADER_OR_FOLLOWER), (b, p, e, c, ce, tps) -> {
            Map<TopicPartition, Errors> none = Map.of(THERE, Errors.NONE);
            return CompletableFuture.completedFuture(none);
        });
        assertThatThrownBy(
                        () -> local.write(7L, (short) 2, false, 5, Set.of(HERE)).get())
                .isInstanceOf(ExecutionException.class)
                .hasMessageContaining("NOT_LEADER_OR_FOLLOWER");
        TxnMarkerSender unreachable = sender(Map.of(), RemoteMarkerSender.UNAVAILABLE);
        assertThatThrownBy(() -> unreachable
                        .write(7L, (short) 2, false, 5, Set.of(HERE, THERE))
                        .get())
                .isInstanceOf(ExecutionException.class)
                .hasMessageContaining("broker 2");
    }
}
