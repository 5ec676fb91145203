package dev.strata.broker.txn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.cluster.PartitionState;
import dev.strata.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TransactionCoordinatorFencedException;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LeaderMarkerWriterTest {

    private static final TopicPartition A0 = new TopicPartition("a", 0);
    private static final TopicPartition A1 = new TopicPartition("a", 1);
    private static final TopicPartition B0 = new TopicPartition("b", 0);
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** Leaders by partition; a partition missing here was deleted, -1 has no leader. */
    private final Map<TopicPartition, Integer> leaders = new ConcurrentHashMap<>();
    /** What each broker answers, partition by partition; a partition it does not lead gets NOT_LEADER_OR_FOLLOWER. */
    private final Map<Integer, Map<TopicPartition, Errors>> answers = new ConcurrentHashMap<>();

    private final List<String> sent = new ArrayList<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    private final RemoteMarkerSender sender = (brokerId, producerId, epoch, commit, coordinatorEpoch, tps) -> {
        synchronized (sent) {
            sent.add(brokerId + ":"
                    + new TreeSet<>(tps.stream().map(TopicPartition::toString).toList()));
        }
        Map<TopicPartition, Errors> result = new HashMap<>();
        for (TopicPartition tp : tps) {
            Errors answer = answers.getOrDefault(brokerId, Map.of()).get(tp);
            result.put(
                    tp,
                    answer != null
                            ? answer
                            : leaders.get(tp) == brokerId ? Errors.NONE : Errors.NOT_LEADER_OR_FOLLOWER);
        }
        return CompletableFuture.completedFuture(result);
    };

    private final Function<TopicPartition, Optional<PartitionState>> image = tp -> Optional.ofNullable(leaders.get(tp))
            .map(leader -> new PartitionState(List.of(1, 2, 3), List.of(1, 2, 3), leader, 0, 0));

    private final LeaderMarkerWriter writer = new LeaderMarkerWriter(image, sender, scheduler, 1, 4);

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    @Test
    void sendsOneRequestPerLeaderWithThatLeadersPartitions() throws Exception {
        leaders.put(A0, 1);
        leaders.put(A1, 2);
        leaders.put(B0, 1);

        writer.write(5, (short) 0, true, 0, Set.of(A0, A1, B0)).get();

        assertThat(sent).containsExactlyInAnyOrder("1:[a-0, b-0]", "2:[a-1]");
    }

    @Test
    void aPartitionWhoseLeaderMovedIsRetriedAgainstTheNewLeader() throws Exception {
        leaders.put(A0, 1);
        answers.put(1, Map.of(A0, Errors.NOT_LEADER_OR_FOLLOWER));
        CompletableFuture<Void> written = writer.write(5, (short) 0, true, 0, Set.of(A0));
        awaitSent("1:[a-0]");
        // the metadata update arrives after the refusal
        leaders.put(A0, 2);

        written.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertThat(sent).last().isEqualTo("2:[a-0]");
    }

    @Test
    void unreachableAndLeaderlessPartitionsAreRetriedUntilWritten() throws Exception {
        leaders.put(A0, 3);
        leaders.put(A1, -1);
        answers.put(3, new ConcurrentHashMap<>(Map.of(A0, Errors.NETWORK_EXCEPTION)));

        CompletableFuture<Void> written = writer.write(5, (short) 0, false, 0, Set.of(A0, A1));
        awaitSent("3:[a-0]");
        answers.get(3).remove(A0);
        leaders.put(A1, 2);

        written.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(sent).contains("2:[a-1]");
    }

    @Test
    void aDeletedPartitionIsSkipped() throws Exception {
        leaders.put(A0, 1);
        answers.put(1, Map.of(A0, Errors.UNKNOWN_TOPIC_OR_PARTITION));
        CompletableFuture<Void> written = writer.write(5, (short) 0, true, 0, Set.of(A0, B0));
        awaitSent("1:[a-0]");

        leaders.remove(A0);

        written.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(sent).doesNotContain("1:[b-0]");
    }

    @Test
    void aFencedCoordinatorStops() {
        leaders.put(A0, 1);
        answers.put(1, Map.of(A0, Errors.TRANSACTION_COORDINATOR_FENCED));

        assertThatThrownBy(() -> writer.write(5, (short) 0, true, 0, Set.of(A0)).get())
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(TransactionCoordinatorFencedException.class);
        assertThat(sent).containsExactly("1:[a-0]");
    }

    @Test
    void cancellingTheWriteStopsTheRetries() throws Exception {
        leaders.put(A0, 1);
        answers.put(1, Map.of(A0, Errors.NOT_LEADER_OR_FOLLOWER));
        CompletableFuture<CompletableFuture<Void>> written = new CompletableFuture<>();
        RemoteMarkerSender cancellingOnTheThirdSend = (brokerId, producerId, epoch, commit, coordinatorEpoch, tps) -> {
            CompletableFuture<Map<TopicPartition, Errors>> answer =
                    sender.send(brokerId, producerId, epoch, commit, coordinatorEpoch, tps);
            if (sent.size() == 3) {
                written.join().cancel(false); // the coordinator moved
            }
            return answer;
        };
        LeaderMarkerWriter cancelled = new LeaderMarkerWriter(image, cancellingOnTheThirdSend, scheduler, 1, 1);

        written.complete(cancelled.write(5, (short) 0, true, 0, Set.of(A0)));
        Await.until(WAIT, "the write cancelled", () -> written.join().isCancelled());
        scheduler.shutdown();
        assertThat(scheduler.awaitTermination(WAIT.toSeconds(), TimeUnit.SECONDS))
                .isTrue();

        assertThat(sent).hasSize(3);
    }

    private void awaitSent(String request) {
        Await.until(WAIT, "a request " + request, () -> {
            synchronized (sent) {
                return sent.contains(request);
            }
        });
    }
}
