package dev.strata.broker;

import dev.strata.broker.api.BrokerEndpoint;
import dev.strata.broker.api.GroupHandler;
import dev.strata.broker.api.Permissions;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.coordinator.CoordinatedPartitions;
import dev.strata.broker.group.ConsumerGroupCoordinator;
import dev.strata.broker.group.GroupCoordinator;
import dev.strata.broker.group.GroupService;
import dev.strata.broker.group.OffsetsTopic;
import dev.strata.broker.group.TxnMarkerListener;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.broker.partition.ReplicaManager;
import dev.strata.broker.txn.TransactionVerification;
import java.util.Collection;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.common.utils.Time;

/**
 * A broker's group coordination, as {@link StrataServer} wires it from the config: {@code __consumer_offsets}
 * ({@link OffsetsTopic}), the classic and the KIP-848 coordinators, the partitions of {@code __consumer_offsets} this
 * broker leads ({@link CoordinatedPartitions}, told of leadership changes by the replica manager), the group APIs'
 * handler, and the periodic expiry of committed offsets ({@code offsets.retention.minutes}).
 */
final class BrokerGroups {
    private final BrokerConfig config;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService ioPool;
    private final TopicManager topics;
    private final OffsetsTopic offsetsTopic;
    private final GroupCoordinator coordinator;
    private final ConsumerGroupCoordinator consumerGroups;
    private final CoordinatedPartitions coordinated;
    private final GroupService service;

    /** Builds the coordinators and starts following the leadership of {@code __consumer_offsets}' partitions. */
    BrokerGroups(
            BrokerConfig config,
            TopicManager topics,
            ReplicaManager replicas,
            Supplier<Collection<TopicMetadata>> allTopics,
            ScheduledExecutorService scheduler,
            ExecutorService ioPool) {
        this.config = config;
        this.scheduler = scheduler;
        this.ioPool = ioPool;
        this.topics = topics;
        this.offsetsTopic = new OffsetsTopic(
                topics,
                replicas,
                new OffsetsTopic.Settings(
                        config.intValue(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS),
                        config.intValue(BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR),
                        config.intValue(BrokerConfig.OFFSETS_TOPIC_SEGMENT_BYTES),
                        config.intValue(BrokerConfig.OFFSETS_COMMIT_TIMEOUT_MS)),
                Time.SYSTEM);
        this.coordinator = new GroupCoordinator(
                new GroupCoordinator.Settings(
                        config.intValue(BrokerConfig.GROUP_MIN_SESSION_TIMEOUT_MS),
                        config.intValue(BrokerConfig.GROUP_MAX_SESSION_TIMEOUT_MS),
                        config.intValue(BrokerConfig.GROUP_INITIAL_REBALANCE_DELAY_MS),
                        config.intValue(BrokerConfig.GROUP_MAX_SIZE)),
                offsetsTopic,
                scheduler);
        this.consumerGroups = new ConsumerGroupCoordinator(
                new ConsumerGroupCoordinator.Settings(
                        config.intValue(BrokerConfig.GROUP_CONSUMER_SESSION_TIMEOUT_MS),
                        config.intValue(BrokerConfig.GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS),
                        config.intValue(BrokerConfig.GROUP_CONSUMER_MAX_SIZE)),
                ConsumerGroupCoordinator.Topics.of(topics, allTopics),
                scheduler,
                offsetsTopic);
        // Group state comes back from __consumer_offsets in the background, partition by partition as this broker
        // leads them; until then their groups' requests are answered COORDINATOR_LOAD_IN_PROGRESS and clients retry.
        this.coordinated = offsetsTopic.coordination(coordinator, consumerGroups, ioPool);
        replicas.addListener(coordinated);
        this.service = new GroupService(coordinator, consumerGroups);
    }

    /** Which coordinator answers a group: what the group APIs and the web console read. */
    GroupService service() {
        return service;
    }

    /**
     * The handler of every group API, naming {@code endpoint} as the coordinator of the groups this broker leads;
     * TxnOffsetCommit asks {@code verification} whether the producer's transaction holds the group's partition; a
     * ConsumerGroupHeartbeat's regex hands its member only the topics {@code permissions} let its principal describe.
     */
    GroupHandler handler(
            Supplier<BrokerEndpoint> endpoint, TransactionVerification verification, Permissions permissions) {
        return new GroupHandler(
                endpoint, service, topics, offsetsTopic, coordinated, verification, ioPool, permissions);
    }

    /** Told of transaction markers (WriteTxnMarkers): those in {@code __consumer_offsets} end transactional commits. */
    TxnMarkerListener txnMarkerListener() {
        return offsetsTopic.markerListener(coordinated, coordinator);
    }

    /** The group's partition of {@code __consumer_offsets}. */
    int offsetsPartitionFor(String groupId) {
        return offsetsTopic.partitionFor(groupId);
    }

    /** Expires committed offsets every {@code offsets.retention.check.interval.ms}, on the I/O pool. */
    void scheduleOffsetExpiry() {
        long retentionMs = config.longValue(BrokerConfig.OFFSETS_RETENTION_MINUTES) * 60_000L;
        long checkMs = config.longValue(BrokerConfig.OFFSETS_RETENTION_CHECK_INTERVAL_MS);
        scheduler.scheduleWithFixedDelay(
                () -> ioPool.execute(() -> coordinator.expireOffsets(System.currentTimeMillis(), retentionMs)),
                checkMs,
                checkMs,
                TimeUnit.MILLISECONDS);
    }
}
