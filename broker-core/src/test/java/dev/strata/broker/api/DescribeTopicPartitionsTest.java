package dev.strata.broker.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.metadata.TopicMetadata;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.DescribeTopicPartitionsRequestData;
import org.apache.kafka.common.message.DescribeTopicPartitionsRequestData.Cursor;
import org.apache.kafka.common.message.DescribeTopicPartitionsRequestData.TopicRequest;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData.DescribeTopicPartitionsResponsePartition;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData.DescribeTopicPartitionsResponseTopic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeTopicPartitionsRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * DescribeTopicPartitions over an in-memory cluster of brokers 1 and 2 (3 is fenced): topics in name order, partitions
 * as Metadata gives them, pages of at most the requested partitions with a cursor to the rest, and Kafka's errors.
 */
class DescribeTopicPartitionsTest {
    private final InMemoryMetadataStore store = new InMemoryMetadataStore();
    private MetadataHandler handler;

    @BeforeEach
    void start() {
        store.register(1, 19092, false);
        store.register(2, 19093, false);
        store.register(3, 19094, true);
        TopicManager topics =
                new TopicManager(BrokerConfig.of(Map.of("node.id", "1", "log.dirs", "/nonexistent")), store, null);
        handler = new MetadataHandler(
                () -> new BrokerEndpoint(1, "127.0.0.1", 19092, store.clusterId()), topics, null, store, true);
        store.createTopic(topic("beta", 3), List.of(List.of(1, 2), List.of(2, 3), List.of(1, 2)));
        store.createTopic(topic("alpha", 2), List.of(List.of(1), List.of(2)));
        store.createTopic(topic("gamma", 1), List.of(List.of(3)));
        // partition 1 of beta: led by 2 in epoch 4, with fenced 3 out of the ISR
        store.setPartition(new TopicPartition("beta", 1), new PartitionState(List.of(2, 3), List.of(2), 2, 4, 5));
        // gamma's only replica is fenced and no longer leads
        store.setPartition(
                new TopicPartition("gamma", 0),
                new PartitionState(List.of(3), List.of(3), PartitionState.NO_LEADER, 2, 3));
    }

    private static TopicMetadata topic(String name, int partitions) {
        return new TopicMetadata(name, Uuid.randomUuid(), partitions, Map.of());
    }

    private DescribeTopicPartitionsResponseData describe(int limit, Cursor cursor, String... names) {
        DescribeTopicPartitionsRequestData data = new DescribeTopicPartitionsRequestData()
                .setResponsePartitionLimit(limit)
                .setCursor(cursor);
        for (String name : names) {
            data.topics().add(new TopicRequest().setName(name));
        }
        return handler.describeTopicPartitions(new DescribeTopicPartitionsRequest.Builder(data).build((short) 0));
    }

    private static List<String> partitionsOf(DescribeTopicPartitionsResponseData response) {
        return response.topics().stream()
                .flatMap(t -> t.partitions().stream().map(p -> t.name() + "-" + p.partitionIndex()))
                .toList();
    }

    @Test
    void describesEachPartitionWithLeaderEpochReplicasIsrAndOfflineReplicas() {
        DescribeTopicPartitionsResponseData response = describe(2000, null, "beta", "gamma");

        assertThat(response.topics())
                .extracting(DescribeTopicPartitionsResponseTopic::name)
                .containsExactly("beta", "gamma");
        DescribeTopicPartitionsResponseTopic beta = response.topics().find("beta");
        assertThat(beta.errorCode()).isZero();
        assertThat(beta.topicId()).isEqualTo(store.topic("beta").orElseThrow().topicId());
        assertThat(beta.isInternal()).isFalse();
        DescribeTopicPartitionsResponsePartition p1 = beta.partitions().get(1);
        assertThat(p1.partitionIndex()).isEqualTo(1);
        assertThat(p1.errorCode()).isZero();
        assertThat(p1.leaderId()).isEqualTo(2);
        assertThat(p1.leaderEpoch()).isEqualTo(4);
        assertThat(p1.replicaNodes()).containsExactly(2, 3);
        assertThat(p1.isrNodes()).containsExactly(2);
        assertThat(p1.offlineReplicas()).containsExactly(3);
        assertThat(p1.eligibleLeaderReplicas()).isEmpty();
        assertThat(p1.lastKnownElr()).isEmpty();
        DescribeTopicPartitionsResponsePartition gamma0 =
                response.topics().find("gamma").partitions().get(0);
        assertThat(gamma0.errorCode())
                .as("no error for a partition without leader, as from Kafka")
                .isZero();
        assertThat(gamma0.leaderId()).isEqualTo(-1);
        assertThat(gamma0.offlineReplicas()).containsExactly(3);
        assertThat(response.nextCursor()).isNull();
    }

    @Test
    void noTopicsMeansEveryTopicInNameOrder() {
        DescribeTopicPartitionsResponseData response = describe(2000, null);

        assertThat(partitionsOf(response))
                .containsExactly("alpha-0", "alpha-1", "beta-0", "beta-1", "beta-2", "gamma-0");
        assertThat(response.nextCursor()).isNull();
    }

    @Test
    void pagesThroughEveryPartitionWithTheCursor() {
        DescribeTopicPartitionsResponseData first = describe(3, null, "gamma", "beta", "alpha");
        assertThat(partitionsOf(first)).containsExactly("alpha-0", "alpha-1", "beta-0");
        assertThat(first.nextCursor().topicName()).isEqualTo("beta");
        assertThat(first.nextCursor().partitionIndex()).isEqualTo(1);

        DescribeTopicPartitionsResponseData second =
                describe(3, new Cursor().setTopicName("beta").setPartitionIndex(1), "gamma", "beta", "alpha");
        assertThat(partitionsOf(second)).containsExactly("beta-1", "beta-2", "gamma-0");
        assertThat(second.nextCursor()).isNull();
    }

    @Test
    void aPageThatEndsWithATopicPointsTheCursorAtTheNextTopic() {
        DescribeTopicPartitionsResponseData response = describe(2, null);

        assertThat(partitionsOf(response)).containsExactly("alpha-0", "alpha-1");
        assertThat(response.nextCursor().topicName()).isEqualTo("beta");
        assertThat(response.nextCursor().partitionIndex()).isZero();
    }

    @Test
    void aLimitBelowOneCountsAsOne() {
        DescribeTopicPartitionsResponseData response = describe(0, null, "alpha");

        assertThat(partitionsOf(response)).containsExactly("alpha-0");
        assertThat(response.nextCursor().partitionIndex()).isEqualTo(1);
    }

    @Test
    void unknownAndInvalidTopicsAnswerTheirErrorsWithoutTakingRoom() {
        DescribeTopicPartitionsResponseData response = describe(2, null, "alpha", "absent", "a/b");

        assertThat(response.topics())
                .extracting(DescribeTopicPartitionsResponseTopic::name, DescribeTopicPartitionsResponseTopic::errorCode)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("a/b", Errors.INVALID_TOPIC_EXCEPTION.code()),
                        org.assertj.core.groups.Tuple.tuple("absent", Errors.UNKNOWN_TOPIC_OR_PARTITION.code()),
                        org.assertj.core.groups.Tuple.tuple("alpha", Errors.NONE.code()));
        assertThat(response.topics().find("absent").partitions()).isEmpty();
        assertThat(response.topics().find("absent").topicId()).isEqualTo(Uuid.ZERO_UUID);
        assertThat(response.nextCursor()).isNull();
        assertThat(store.topic("absent")).as("never auto-created").isEmpty();
    }

    @Test
    void aCursorOnATopicNotAskedForOrOnANegativePartitionIsAnInvalidRequest() {
        assertThatThrownBy(() -> describe(10, new Cursor().setTopicName("beta").setPartitionIndex(0), "alpha"))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> describe(10, new Cursor().setTopicName("alpha").setPartitionIndex(-1), "alpha"))
                .isInstanceOf(InvalidRequestException.class);
    }
}
