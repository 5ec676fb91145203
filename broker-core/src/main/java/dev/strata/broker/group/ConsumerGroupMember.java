package dev.strata.broker.group;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Predicate;
import org.apache.kafka.common.Uuid;

/**
 * A member of a KIP-848 consumer group as {@link ConsumerGroupCoordinator} tracks it: its subscription, its epochs,
 * what it has been told it owns and what it reported owning. Guarded by its group's monitor.
 */
final class ConsumerGroupMember {
    final String memberId;
    String instanceId;
    String rackId;
    final String clientId;
    final String clientHost;
    int rebalanceTimeoutMs;
    List<String> subscribedTopicNames = List.of();
    String subscribedTopicRegex;
    String serverAssignor;
    /**
     * Whether the member's principal may DESCRIBE a topic, as of its last heartbeat; null for a member restored from
     * the log that has not sent one since. Not stored: the principal is the connection's.
     */
    Predicate<String> mayDescribeTopic;

    int memberEpoch;
    int previousMemberEpoch = -1;
    /** What the member has been told it owns. */
    Map<Uuid, Set<Integer>> assigned = new HashMap<>();
    /** What it reported owning last (it still holds partitions it has not finished revoking). */
    Map<Uuid, Set<Integer>> owned = new HashMap<>();

    boolean assignmentChanged = true;
    ScheduledFuture<?> sessionExpiry;

    ConsumerGroupMember(String memberId, String clientId, String clientHost) {
        this.memberId = memberId;
        this.clientId = clientId;
        this.clientHost = clientHost;
    }
}
