package dev.strata.broker.it;

import dev.strata.testing.Await;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CloseOptions.GroupMembershipOperation;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;

/**
 * One member of a classic consumer group: a {@link KafkaConsumer} that {@code subscribe()}s and runs its poll loop on a
 * thread of its own (a KafkaConsumer must only be used by one thread), so that several members of a group poll at once.
 *
 * <p>After every poll that returned records it commits synchronously, so a partition that moves to another member is
 * picked up where this one stopped. What the test needs to see is published from the poll thread: every record
 * consumed, the current assignment, the rebalance callbacks, the member id and the number of heartbeats sent. A test
 * ends a member in one of three ways: {@link #close()} (a clean close, which sends LeaveGroup for a dynamic member),
 * {@link #crash()} (the consumer goes away without LeaveGroup, as if its process died), or {@link #stopPolling()} (the
 * poll loop hangs while the consumer's heartbeat thread keeps going, until {@code max.poll.interval.ms} passes).
 */
final class GroupMemberThread implements AutoCloseable {

    /** A call of the member's {@link ConsumerRebalanceListener}, in the order they happened. */
    record RebalanceEvent(Kind kind, Set<TopicPartition> partitions) {
        enum Kind {
            ASSIGNED,
            REVOKED,
            LOST
        }
    }

    private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(30);

    private final String name;
    private final KafkaConsumer<String, String> consumer;
    private final Collection<String> topics;
    private final Thread thread;
    private final CountDownLatch resume = new CountDownLatch(1);
    private final ConcurrentLinkedQueue<ConsumerRecord<String, String>> records = new ConcurrentLinkedQueue<>();
    private final List<RebalanceEvent> events = new CopyOnWriteArrayList<>();
    private final List<RuntimeException> commitFailures = new CopyOnWriteArrayList<>();

    private volatile boolean running = true;
    private volatile boolean hung;
    private volatile GroupMembershipOperation onClose = GroupMembershipOperation.DEFAULT;
    private volatile Set<TopicPartition> assignment = Set.of();
    private volatile String memberId = "";
    private volatile long heartbeats;
    private volatile Throwable failure;

    private GroupMemberThread(String name, KafkaConsumer<String, String> consumer, Collection<String> topics) {
        this.name = name;
        this.consumer = consumer;
        this.topics = List.copyOf(topics);
        this.thread = new Thread(this::run, "group-member-" + name);
        this.thread.setDaemon(true);
    }

    /**
     * The consumer settings of a classic-protocol member of {@code groupId} with client id {@code clientId}: manual
     * commits, a 6 s session with 500 ms heartbeats so that rebalances are noticed quickly. Callers add to the map.
     */
    static Map<String, Object> classicMember(String groupId, String clientId) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6_000);
        config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500);
        return config;
    }

    /** Starts a member that subscribes {@code consumer} to {@code topics}; the member owns the consumer from now on. */
    static GroupMemberThread start(String name, KafkaConsumer<String, String> consumer, Collection<String> topics) {
        GroupMemberThread member = new GroupMemberThread(name, consumer, topics);
        member.thread.start();
        return member;
    }

    String name() {
        return name;
    }

    /** The partitions the consumer owned after its latest poll. */
    Set<TopicPartition> assignment() {
        return assignment;
    }

    /** The member id the coordinator gave this member, as of its latest poll; empty before it joined. */
    String memberId() {
        return memberId;
    }

    /** Heartbeats sent so far (the consumer's {@code heartbeat-total} metric) as of its latest poll. */
    long heartbeats() {
        return heartbeats;
    }

    /** Every record this member has consumed, in the order it consumed them. */
    List<ConsumerRecord<String, String>> records() {
        return List.copyOf(records);
    }

    /** Every call of the member's rebalance listener so far. */
    List<RebalanceEvent> events() {
        return List.copyOf(events);
    }

    /** Commits that the coordinator refused because the group was rebalancing or had moved on. */
    List<RuntimeException> commitFailures() {
        return List.copyOf(commitFailures);
    }

    /** Waits until the consumer has been assigned at least one partition. */
    GroupMemberThread awaitAssignment() {
        Await.until(JOIN_TIMEOUT, name + " to be assigned partitions", () -> {
            checkAlive();
            return !assignment.isEmpty();
        });
        return this;
    }

    /**
     * Waits until {@code members} between them own exactly {@code partitions}, each at least one and no partition
     * twice: the state of a group whose rebalance has completed. Fails with every member's assignment otherwise.
     */
    static void awaitBalanced(Duration timeout, Collection<TopicPartition> partitions, GroupMemberThread... members) {
        try {
            Await.until(timeout, "members to share " + partitions.size() + " partitions", () -> {
                int owned = 0;
                Set<TopicPartition> union = new HashSet<>();
                for (GroupMemberThread m : members) {
                    m.checkAlive();
                    Set<TopicPartition> a = m.assignment();
                    if (a.isEmpty()) {
                        return false;
                    }
                    owned += a.size();
                    union.addAll(a);
                }
                return owned == partitions.size() && union.equals(Set.copyOf(partitions));
            });
        } catch (AssertionError e) {
            StringBuilder sb = new StringBuilder(e.getMessage()).append("; assignments:");
            for (GroupMemberThread m : members) {
                sb.append(' ').append(m.name()).append('=').append(m.assignment());
            }
            throw new AssertionError(sb.toString(), e);
        }
    }

    /** Fails the test if the poll loop died of an unexpected exception. */
    void checkAlive() {
        Throwable t = failure;
        if (t != null) {
            throw new AssertionError(name + "'s poll loop failed", t);
        }
    }

    /**
     * Hangs the poll loop without closing the consumer: the background heartbeat thread keeps the member in the group
     * until {@code max.poll.interval.ms} has passed since the last poll.
     */
    void stopPolling() {
        hung = true;
    }

    /** Ends the consumer without LeaveGroup and without further heartbeats, as if its process had died. */
    void crash() {
        onClose = GroupMembershipOperation.REMAIN_IN_GROUP;
        close();
    }

    /**
     * Stops the poll loop and closes the consumer the default way: a dynamic member sends LeaveGroup, a static member
     * ({@code group.instance.id}) stays in the group until its session times out.
     */
    @Override
    public void close() {
        running = false;
        resume.countDown();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        if (thread.isAlive()) {
            throw new AssertionError(name + "'s poll loop did not stop within 30 s");
        }
    }

    private void run() {
        try {
            consumer.subscribe(topics, new Listener());
            while (running) {
                if (hung) {
                    resume.await();
                    continue;
                }
                ConsumerRecords<String, String> polled = consumer.poll(POLL_TIMEOUT);
                polled.forEach(records::add);
                assignment = Set.copyOf(consumer.assignment());
                memberId = consumer.groupMetadata().memberId();
                heartbeats = heartbeatTotal();
                if (!polled.isEmpty()) {
                    commit();
                }
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            consumer.close(CloseOptions.groupMembershipOperation(onClose).withTimeout(Duration.ofSeconds(10)));
        }
    }

    private void commit() {
        try {
            consumer.commitSync();
        } catch (CommitFailedException | RebalanceInProgressException e) {
            // The records stay uncommitted and whoever owns the partition next reads them again: at-least-once.
            commitFailures.add(e);
        }
    }

    private long heartbeatTotal() {
        for (Map.Entry<MetricName, ? extends Metric> e : consumer.metrics().entrySet()) {
            MetricName metric = e.getKey();
            if (metric.name().equals("heartbeat-total") && metric.group().equals("consumer-coordinator-metrics")) {
                return ((Number) e.getValue().metricValue()).longValue();
            }
        }
        return 0;
    }

    private final class Listener implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            events.add(new RebalanceEvent(RebalanceEvent.Kind.REVOKED, Set.copyOf(partitions)));
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            events.add(new RebalanceEvent(RebalanceEvent.Kind.ASSIGNED, Set.copyOf(partitions)));
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            events.add(new RebalanceEvent(RebalanceEvent.Kind.LOST, Set.copyOf(partitions)));
        }
    }
}
