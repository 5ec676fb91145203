package dev.strata.broker.group;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.kafka.common.Uuid;

/**
 * A ConsumerGroupHeartbeat (KIP-848) as the consumer-group coordinator sees it. A null field was not sent: the
 * member's previous value stands.
 *
 * @param memberEpoch 0 to join, -1 (or -2 for a static member) to leave, else the member's current epoch
 * @param rebalanceTimeoutMs -1 if not sent
 * @param ownedPartitions the partitions the member owns now, by topic id; null if not sent
 * @param clientHost the client's address as Kafka shows it ({@code /1.2.3.4})
 * @param mayDescribeTopic whether the member's principal may DESCRIBE a topic (by name): the topics its regex matches
 *     that it may not are not assigned to it
 */
public record ConsumerHeartbeat(
        String groupId,
        String memberId,
        int memberEpoch,
        String instanceId,
        String rackId,
        int rebalanceTimeoutMs,
        List<String> subscribedTopicNames,
        String subscribedTopicRegex,
        String serverAssignor,
        Map<Uuid, Set<Integer>> ownedPartitions,
        String clientId,
        String clientHost,
        Predicate<String> mayDescribeTopic) {}
