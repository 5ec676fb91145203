package dev.strata.broker.group;

import java.util.Collection;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * Where the coordinator makes its state durable ({@code __consumer_offsets}). Every method returns once the write is
 * durable in the log, or throws the Kafka error to answer with.
 */
public interface GroupStore {

    void storeOffsets(String groupId, Map<TopicPartition, CommittedOffset> offsets);

    void deleteOffsets(String groupId, Collection<TopicPartition> partitions);

    void storeGroup(GroupSnapshot group);

    void deleteGroup(String groupId);

    /** A store that keeps nothing, for tests of the membership logic. */
    GroupStore NONE = new GroupStore() {
        @Override
        public void storeOffsets(String groupId, Map<TopicPartition, CommittedOffset> offsets) {}

        @Override
        public void deleteOffsets(String groupId, Collection<TopicPartition> partitions) {}

        @Override
        public void storeGroup(GroupSnapshot group) {}

        @Override
        public void deleteGroup(String groupId) {}
    };
}
