package dev.strata.broker.metadata.quorum;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.ClusterChangeListener;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.cluster.RemoteSegmentRecord;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

/** One change the image made while a command was applied, to be told to {@link ClusterChangeListener}s. */
sealed interface ClusterChange {

    void tell(ClusterChangeListener listener);

    record PartitionChanged(Uuid topicId, TopicPartition tp, PartitionState state) implements ClusterChange {
        @Override
        public void tell(ClusterChangeListener listener) {
            listener.onPartitionChanged(topicId, tp, state);
        }
    }

    record PartitionDeleted(Uuid topicId, TopicPartition tp) implements ClusterChange {
        @Override
        public void tell(ClusterChangeListener listener) {
            listener.onPartitionDeleted(topicId, tp);
        }
    }

    record BrokerChanged(ClusterBroker broker) implements ClusterChange {
        @Override
        public void tell(ClusterChangeListener listener) {
            listener.onBrokerChanged(broker);
        }
    }

    record RemoteSegmentChanged(Uuid topicId, TopicPartition tp, Uuid segmentId, Optional<RemoteSegmentRecord> segment)
            implements ClusterChange {
        @Override
        public void tell(ClusterChangeListener listener) {
            listener.onRemoteSegmentChanged(topicId, tp, segmentId, segment);
        }
    }

    record BrokerConfigsChanged(String entity, Map<String, String> configs) implements ClusterChange {
        @Override
        public void tell(ClusterChangeListener listener) {
            listener.onBrokerConfigsChanged(entity, configs);
        }
    }
}
