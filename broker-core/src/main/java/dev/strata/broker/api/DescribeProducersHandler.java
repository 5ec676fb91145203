package dev.strata.broker.api;

import dev.strata.broker.log.ProducerStateEntry;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.ReplicaManager;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.DescribeProducersRequestData;
import org.apache.kafka.common.message.DescribeProducersResponseData;
import org.apache.kafka.common.message.DescribeProducersResponseData.PartitionResponse;
import org.apache.kafka.common.message.DescribeProducersResponseData.ProducerState;
import org.apache.kafka.common.message.DescribeProducersResponseData.TopicResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeProducersRequest;

/**
 * DescribeProducers (KIP-664, what {@code kafka-transactions.sh describe-producers} and {@code Admin#describeProducers}
 * send to a partition's leader): the producers whose state the partition's log keeps, with their epoch, last sequence
 * and timestamp, and the first offset of their open transaction. As Kafka: UNKNOWN_TOPIC_OR_PARTITION for a partition
 * that does not exist, NOT_LEADER_OR_FOLLOWER where this broker does not lead it. Strata keeps no coordinator epoch in
 * producer state, so it answers -1 there.
 */
public final class DescribeProducersHandler {
    private final TopicManager topics;
    private final ReplicaManager replicas;

    public DescribeProducersHandler(TopicManager topics, ReplicaManager replicas) {
        this.topics = topics;
        this.replicas = replicas;
    }

    public DescribeProducersResponseData handle(DescribeProducersRequest request) {
        DescribeProducersResponseData response = new DescribeProducersResponseData();
        for (DescribeProducersRequestData.TopicRequest topic : request.data().topics()) {
            TopicResponse topicResponse = new TopicResponse().setName(topic.name());
            for (int index : topic.partitionIndexes()) {
                topicResponse.partitions().add(describe(new TopicPartition(topic.name(), index)));
            }
            response.topics().add(topicResponse);
        }
        return response;
    }

    private PartitionResponse describe(TopicPartition tp) {
        PartitionResponse r = new PartitionResponse().setPartitionIndex(tp.partition());
        Optional<Partition> partition =
                topics.topic(tp.topic()).isPresent() ? replicas.partition(tp) : Optional.empty();
        if (partition.isEmpty()) {
            return r.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                    .setErrorMessage("This server does not host " + tp);
        }
        if (!partition.get().isLeader()) {
            return r.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code())
                    .setErrorMessage("This broker is not the leader of " + tp);
        }
        for (ProducerStateEntry e : partition.get().log().activeProducers()) {
            r.activeProducers()
                    .add(new ProducerState()
                            .setProducerId(e.producerId())
                            .setProducerEpoch(e.producerEpoch())
                            .setLastSequence(e.lastSeq())
                            .setLastTimestamp(e.lastTimestamp())
                            .setCoordinatorEpoch(-1)
                            .setCurrentTxnStartOffset(e.currentTxnFirstOffset().orElse(-1L)));
        }
        return r;
    }
}
