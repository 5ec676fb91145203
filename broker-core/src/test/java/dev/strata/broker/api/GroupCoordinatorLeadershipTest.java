package dev.strata.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.LogConfig;
import dev.strata.broker.coordinator.CoordinatedPartitions;
import dev.strata.broker.group.ConsumerGroupCoordinator;
import dev.strata.broker.group.GroupCoordinator;
import dev.strata.broker.group.GroupService;
import dev.strata.broker.group.OffsetsTopic;
import dev.strata.broker.log.LogManager;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.broker.network.RequestContext;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.ReplicaFetch;
import dev.strata.broker.partition.ReplicaManager;
import dev.strata.broker.txn.TransactionVerification;
import dev.strata.testing.Await;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ConsumerGroupDescribeRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ConsumerGroupDescribeRequest;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatRequest;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.ListGroupsRequest;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.SyncGroupRequest;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Broker 1 of a small in-memory cluster image (brokers 1 and 2 live, 3 fenced): a group's coordinator is the leader of
 * its {@code __consumer_offsets} partition, a broker that does not lead it answers NOT_COORDINATOR, becoming leader
 * loads the partition's groups and losing leadership unloads them, and a commit is answered only once every in-sync
 * replica has it. Leadership changes are applied to the replica manager as the metadata layer applies them.
 */
class GroupCoordinatorLeadershipTest {
    private static final int PARTITIONS = 4;
    private static final Duration WAIT = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    private final InMemoryMetadataStore store = new InMemoryMetadataStore();
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    private final ExecutorService ioPool = Executors.newFixedThreadPool(2);
    private LogManager logManager;
    private ReplicaManager replicas;
    private OffsetsTopic offsetsTopic;
    private GroupService groups;
    private GroupHandler handler;
    private CoordinatedPartitions coordinated;
    private int epoch = 1;

    @BeforeEach
    void start() throws Exception {
        store.register(1, 19092, false);
        store.register(2, 19093, false);
        store.register(3, 19094, true);
        BrokerConfig config = BrokerConfig.of(Map.of("node.id", "1", "log.dirs", dir.toString()));
        logManager = new LogManager(
                List.of(dir), tp -> LogConfig.of(Map.of(), Map.of()), Time.SYSTEM, scheduler, 300_000, 60_000);
        replicas = new ReplicaManager(1, logManager, ioPool, scheduler);
        TopicManager topics = new TopicManager(config, store, replicas);
        offsetsTopic = new OffsetsTopic(
                topics, replicas, new OffsetsTopic.Settings(PARTITIONS, 3, 1 << 20, 1_000), Time.SYSTEM);
        GroupCoordinator classic = new GroupCoordinator(GroupCoordinator.Settings.defaults(), offsetsTopic, scheduler);
        ConsumerGroupCoordinator consumerGroups = new ConsumerGroupCoordinator(
                ConsumerGroupCoordinator.Settings.defaults(),
                ConsumerGroupCoordinator.Topics.of(topics, store::topics),
                scheduler,
                offsetsTopic);
        coordinated = offsetsTopic.coordination(classic, consumerGroups, ioPool);
        replicas.addListener(coordinated);
        groups = new GroupService(classic, consumerGroups);
        handler = new GroupHandler(
                () -> new BrokerEndpoint(1, "127.0.0.1", 19092, store.clusterId()),
                groups,
                topics,
                offsetsTopic,
                coordinated,
                TransactionVerification.NONE,
                ioPool,
                Permissions.allowAll());
        topics.createTopic("orders", 1, (short) 1, Map.of(), false);
        offsetsTopic.ensureExists();
        for (int p = 0; p < PARTITIONS; p++) {
            lead(p, 1, List.of(1));
        }
        // loading runs on the I/O pool; a test starts once every partition this broker leads is loaded
        Await.until(WAIT, "the offsets partitions to be loaded", () -> !coordinated.loading());
    }

    @AfterEach
    void stop() {
        replicas.shutdown();
        logManager.close();
        scheduler.shutdownNow();
        ioPool.shutdownNow();
    }

    @Test
    void theOffsetsTopicIsReplicatedAsConfiguredCappedAtTheLiveBrokers() {
        Uuid topicId = store.topic(OffsetsTopic.NAME).orElseThrow().topicId();
        assertThat(store.partitions(topicId)).hasSize(PARTITIONS);
        // offsets.topic.replication.factor=3, but only brokers 1 and 2 are live
        assertThat(store.partitions(topicId).values())
                .allSatisfy(s -> assertThat(s.replicas()).containsExactlyInAnyOrder(1, 2));
    }

    @Test
    void findCoordinatorAnswersTheLeaderOfTheGroupsPartition() {
        String here = groupOn(0);
        String there = groupOn(1);
        String nowhere = groupOn(2);
        lead(1, 2, List.of(2));
        lead(2, PartitionState.NO_LEADER, List.of());

        FindCoordinatorResponseData r =
                handler.findCoordinator(new FindCoordinatorRequest.Builder(new FindCoordinatorRequestData()
                                .setKeyType(FindCoordinatorRequest.CoordinatorType.GROUP.id())
                                .setCoordinatorKeys(List.of(here, there, nowhere)))
                        .build((short) 4));

        assertThat(r.coordinators()).hasSize(3);
        var first = r.coordinators().get(0);
        assertThat(first.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(first.nodeId()).isEqualTo(1);
        assertThat(first.port()).isEqualTo(19092);
        var second = r.coordinators().get(1);
        assertThat(second.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(second.nodeId()).isEqualTo(2);
        assertThat(second.host()).isEqualTo("127.0.0.1");
        assertThat(second.port()).isEqualTo(19093);
        assertThat(r.coordinators().get(2).errorCode()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE.code());

        FindCoordinatorResponseData old =
                handler.findCoordinator(new FindCoordinatorRequest.Builder(new FindCoordinatorRequestData()
                                .setKeyType(FindCoordinatorRequest.CoordinatorType.GROUP.id())
                                .setKey(there))
                        .build((short) 3));
        assertThat(old.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(old.nodeId()).isEqualTo(2);
    }

    @Test
    void everyGroupApiOfABrokerThatDoesNotLeadTheGroupsPartitionAnswersNotCoordinator() throws Exception {
        String g = groupOn(1);
        lead(1, 2, List.of(1, 2));
        short notCoordinator = Errors.NOT_COORDINATOR.code();

        JoinGroupResponseData join = (JoinGroupResponseData) handler.joinGroup(
                        context(ApiKeys.JOIN_GROUP, (short) 9),
                        new JoinGroupRequest.Builder(new JoinGroupRequestData()
                                        .setGroupId(g)
                                        .setMemberId("")
                                        .setProtocolType("consumer")
                                        .setSessionTimeoutMs(10_000)
                                        .setRebalanceTimeoutMs(10_000))
                                .build((short) 9))
                .get(10, TimeUnit.SECONDS);
        assertThat(join.errorCode()).isEqualTo(notCoordinator);
        SyncGroupResponseData sync =
                (SyncGroupResponseData) handler.syncGroup(new SyncGroupRequest.Builder(new SyncGroupRequestData()
                                        .setGroupId(g)
                                        .setMemberId("m")
                                        .setGenerationId(1))
                                .build((short) 5))
                        .get(10, TimeUnit.SECONDS);
        assertThat(sync.errorCode()).isEqualTo(notCoordinator);
        assertThat(handler.heartbeat(new HeartbeatRequest.Builder(new HeartbeatRequestData()
                                        .setGroupId(g)
                                        .setMemberId("m")
                                        .setGenerationId(1))
                                .build((short) 4))
                        .errorCode())
                .isEqualTo(notCoordinator);
        assertThat(handler.leaveGroup(new LeaveGroupRequest.Builder(
                                        g, List.of(new LeaveGroupRequestData.MemberIdentity().setMemberId("m")))
                                .build((short) 5))
                        .errorCode())
                .isEqualTo(notCoordinator);
        assertThat(commit(g, 7)).isEqualTo(Errors.NOT_COORDINATOR);
        assertThat(fetch(g).errorCode()).isEqualTo(notCoordinator);
        assertThat(handler.offsetDelete(new OffsetDeleteRequest.Builder(new OffsetDeleteRequestData()
                                        .setGroupId(g)
                                        .setTopics(new OffsetDeleteRequestData.OffsetDeleteRequestTopicCollection(
                                                List.of(new OffsetDeleteRequestData.OffsetDeleteRequestTopic()
                                                                .setName("orders")
                                                                .setPartitions(List.of(
                                                                        new OffsetDeleteRequestData
                                                                                        .OffsetDeleteRequestPartition()
                                                                                .setPartitionIndex(0))))
                                                        .iterator())))
                                .build((short) 0))
                        .errorCode())
                .isEqualTo(notCoordinator);
        assertThat(handler.describeGroups(
                                new DescribeGroupsRequest.Builder(new DescribeGroupsRequestData().setGroups(List.of(g)))
                                        .build((short) 5))
                        .groups()
                        .get(0)
                        .errorCode())
                .isEqualTo(notCoordinator);
        assertThat(handler.deleteGroups(new DeleteGroupsRequest.Builder(
                                        new DeleteGroupsRequestData().setGroupsNames(List.of(g)))
                                .build((short) 2))
                        .results()
                        .find(g)
                        .errorCode())
                .isEqualTo(notCoordinator);
        assertThat(handler.consumerGroupHeartbeat(
                                context(ApiKeys.CONSUMER_GROUP_HEARTBEAT, (short) 0),
                                new ConsumerGroupHeartbeatRequest.Builder(new ConsumerGroupHeartbeatRequestData()
                                                .setGroupId(g)
                                                .setMemberEpoch(0)
                                                .setRebalanceTimeoutMs(10_000)
                                                .setSubscribedTopicNames(List.of("orders")))
                                        .build((short) 0))
                        .errorCode())
                .isEqualTo(notCoordinator);
        assertThat(handler.consumerGroupDescribe(new ConsumerGroupDescribeRequest.Builder(
                                        new ConsumerGroupDescribeRequestData().setGroupIds(List.of(g)))
                                .build((short) 0))
                        .groups()
                        .get(0)
                        .errorCode())
                .isEqualTo(notCoordinator);
        assertThat(groups.committed(g, null))
                .as("nothing was stored for the group")
                .isEmpty();
    }

    @Test
    void becomingLeaderLoadsThePartitionsGroupsAndLosingLeadershipUnloadsThem() {
        String g = groupOn(0);
        String other = groupOn(3);
        assertThat(commit(g, 42)).isEqualTo(Errors.NONE);
        assertThat(commit(other, 7)).isEqualTo(Errors.NONE);
        assertThat(committedOffset(g)).isEqualTo(42);

        lead(0, 2, List.of(1, 2));

        assertThat(fetch(g).errorCode()).isEqualTo(Errors.NOT_COORDINATOR.code());
        Await.until(WAIT, "the groups of partition 0 to be unloaded", () -> groups.committed(g, null)
                .isEmpty());
        assertThat(listedGroups()).containsExactly(other);
        assertThat(committedOffset(other))
                .as("other partitions keep their groups")
                .isEqualTo(7);

        lead(0, 1, List.of(1, 2));

        Await.until(WAIT, "partition 0 to be loaded again", () -> fetch(g).errorCode() == Errors.NONE.code());
        assertThat(committedOffset(g)).isEqualTo(42);
        assertThat(listedGroups()).containsExactlyInAnyOrder(g, other);
    }

    @Test
    void aCommitIsAnsweredOnlyOnceEveryInSyncReplicaHasIt() throws Exception {
        String g = groupOn(0);
        lead(0, 1, List.of(1, 2));
        Partition partition = replicas.partition(offsetsPartition(0)).orElseThrow();
        long before = partition.log().logEndOffset();

        CompletableFuture<Errors> committed = commitAsync(g, 42);

        assertThat(partition.log().logEndOffset()).as("the commit is appended").isGreaterThan(before);
        assertThat(committed).as("broker 2 does not have it yet").isNotDone();
        followerFetches(2, partition);
        assertThat(committed.get(10, TimeUnit.SECONDS)).isEqualTo(Errors.NONE);
        assertThat(committedOffset(g)).isEqualTo(42);
    }

    @Test
    void aCommitTheInSyncReplicasDoNotGetIsRefusedAndNotApplied() {
        String g = groupOn(0);
        lead(0, 1, List.of(1, 2));

        // broker 2 never fetches: offsets.commit.timeout.ms (1 s here) passes
        assertThat(commit(g, 42)).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(groups.committed(g, null)).isEmpty();
    }

    /** A group id whose {@code __consumer_offsets} partition is {@code p}. */
    private String groupOn(int p) {
        for (int i = 0; ; i++) {
            String g = "group-" + i;
            if (offsetsTopic.partitionFor(g) == p) {
                return g;
            }
        }
    }

    private static TopicPartition offsetsPartition(int p) {
        return new TopicPartition(OffsetsTopic.NAME, p);
    }

    /** The controller decides a new leader (and ISR) for partition {@code p}; the replica manager applies it. */
    private void lead(int p, int leader, List<Integer> isr) {
        TopicMetadata topic = store.topic(OffsetsTopic.NAME).orElseThrow();
        PartitionState state = new PartitionState(List.of(1, 2), isr, leader, epoch, epoch);
        epoch++;
        store.setPartition(offsetsPartition(p), state);
        replicas.applyPartitionState(topic.topicId(), offsetsPartition(p), state, LogConfig.of(Map.of(), Map.of()));
    }

    /** Replica {@code follower} fetches the leader's log to its end, twice: the second fetch moves the high watermark. */
    private void followerFetches(int follower, Partition partition) throws Exception {
        for (int i = 0; i < 2; i++) {
            long offset = i == 0 ? 0 : partition.log().logEndOffset();
            replicas.fetchAsLeader(new ReplicaFetch(
                            follower,
                            -1,
                            0,
                            0,
                            1 << 20,
                            List.of(new ReplicaFetch.PartitionFetch(
                                    partition.topicPartition(),
                                    partition.topicId(),
                                    offset,
                                    partition.leaderEpoch(),
                                    i == 0 ? -1 : partition.log().latestEpoch(),
                                    0,
                                    1 << 20))))
                    .get(10, TimeUnit.SECONDS);
        }
    }

    private Errors commit(String g, long offset) {
        return commitAsync(g, offset).join();
    }

    /** OffsetCommit: no thread waits for the replicas, the answer completes when they have the write. */
    private CompletableFuture<Errors> commitAsync(String g, long offset) {
        return handler.offsetCommit(OffsetCommitRequest.Builder.forTopicNames(new OffsetCommitRequestData()
                                .setGroupId(g)
                                .setGenerationIdOrMemberEpoch(-1)
                                .setMemberId("")
                                .setTopics(List.of(new OffsetCommitRequestData.OffsetCommitRequestTopic()
                                        .setName("orders")
                                        .setPartitions(
                                                List.of(new OffsetCommitRequestData.OffsetCommitRequestPartition()
                                                        .setPartitionIndex(0)
                                                        .setCommittedOffset(offset))))))
                        .build((short) 8))
                .thenApply(response -> Errors.forCode(
                        response.topics().get(0).partitions().get(0).errorCode()));
    }

    private OffsetFetchResponseData fetch(String g) {
        return handler.offsetFetch(OffsetFetchRequest.Builder.forTopicNames(
                        new OffsetFetchRequestData().setGroupId(g).setTopics(null), false)
                .build((short) 7));
    }

    private long committedOffset(String g) {
        OffsetFetchResponseData r = fetch(g);
        assertThat(r.errorCode()).isEqualTo(Errors.NONE.code());
        return r.topics().get(0).partitions().get(0).committedOffset();
    }

    private List<String> listedGroups() {
        ListGroupsResponseData r =
                handler.listGroups(new ListGroupsRequest.Builder(new ListGroupsRequestData()).build((short) 4));
        assertThat(r.errorCode()).isEqualTo(Errors.NONE.code());
        return r.groups().stream()
                .map(ListGroupsResponseData.ListedGroup::groupId)
                .toList();
    }

    private static RequestContext context(ApiKeys api, short version) {
        return new RequestContext(
                new RequestHeader(api, version, "client", 1), new InetSocketAddress("127.0.0.1", 40000), "c1");
    }
}
