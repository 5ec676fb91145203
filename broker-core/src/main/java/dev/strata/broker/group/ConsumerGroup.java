package dev.strata.broker.group;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.Uuid;

/**
 * A KIP-848 consumer group as {@link ConsumerGroupCoordinator} tracks it: its epochs, its members in the order they
 * joined, the target assignment and the partition counts it was computed for. Guarded by its own monitor;
 * {@link ConsumerGroupStateCodec} writes and reads it as one record.
 */
final class ConsumerGroup {
    byte[] lastStored;
    final String groupId;
    int groupEpoch;
    int assignmentEpoch;
    String assignorName = ServerAssignor.UNIFORM.name();
    final Map<String, ConsumerGroupMember> members = new LinkedHashMap<>();
    Map<String, Map<Uuid, Set<Integer>>> target = new HashMap<>();
    final Map<Uuid, Integer> subscribedPartitionCounts = new HashMap<>();

    ConsumerGroup(String groupId) {
        this.groupId = groupId;
    }
}
