package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderPartition;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** OffsetForLeaderEpoch, which consumers use to detect truncation: the end of each epoch, and fencing. */
class OffsetForLeaderEpochIT {
    @RegisterExtension
    static final TestBroker broker = TestBroker.create();

    private EpochEndOffset ask(String topic, int currentLeaderEpoch, int leaderEpoch) throws Exception {
        OffsetForLeaderTopicCollection topics = new OffsetForLeaderTopicCollection();
        topics.add(new OffsetForLeaderTopic()
                .setTopic(topic)
                .setPartitions(List.of(new OffsetForLeaderPartition()
                        .setPartition(0)
                        .setCurrentLeaderEpoch(currentLeaderEpoch)
                        .setLeaderEpoch(leaderEpoch))));
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            short version = wire.negotiatedVersion(ApiKeys.OFFSET_FOR_LEADER_EPOCH);
            OffsetsForLeaderEpochResponse response = (OffsetsForLeaderEpochResponse)
                    wire.send(OffsetsForLeaderEpochRequest.Builder.forConsumer(topics), version);
            return response.data().topics().iterator().next().partitions().get(0);
        }
    }

    @Test
    void theCurrentEpochEndsAtTheLogEndOffset() throws Exception {
        broker.createTopic("epochs", 1, Map.of());
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>("epochs", 0, "k", "v" + i)).get();
            }
        }
        EpochEndOffset end = ask("epochs", 0, 0);
        assertThat(end.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(end.leaderEpoch()).isZero();
        assertThat(end.endOffset()).isEqualTo(10L);
    }

    @Test
    void aClientWithANewerLeaderEpochIsToldItIsUnknownAndAnOlderOneIsFenced() throws Exception {
        broker.createTopic("fencing", 1, Map.of());
        assertThat(ask("fencing", 5, 0).errorCode()).isEqualTo(Errors.UNKNOWN_LEADER_EPOCH.code());
        assertThat(ask("no-such-topic", -1, 0).errorCode()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
    }
}
