package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One corrupt record batch in {@code __consumer_offsets} costs only the group state in it: after a restart the broker
 * logs the batch's offsets at ERROR and loads every other group, instead of answering COORDINATOR_LOAD_IN_PROGRESS to
 * every group API until it is restarted again.
 */
class CorruptOffsetsTopicIT {

    @RegisterExtension
    final TestBroker broker = TestBroker.withConfig(Map.of("offsets.topic.num.partitions", "1"));

    @Test
    void aCorruptBatchIsSkippedAndTheOtherGroupsLoad() throws Exception {
        broker.createTopic("orders", 1, Map.of());
        TopicPartition tp = new TopicPartition("orders", 0);
        try (Admin admin = broker.admin()) {
            // one commit, so one batch, per group: the first batch is g1's, the second g2's
            admin.alterConsumerGroupOffsets("g1", Map.of(tp, new OffsetAndMetadata(11)))
                    .all()
                    .get();
            admin.alterConsumerGroupOffsets("g2", Map.of(tp, new OffsetAndMetadata(22)))
                    .all()
                    .get();
        }
        broker.stop();

        // the first batch's record count (bytes 57-60 of its header, covered by its CRC) claims a million records
        Path segment;
        try (Stream<Path> files = Files.list(broker.logDir().resolve("__consumer_offsets-0"))) {
            segment =
                    files.filter(f -> f.toString().endsWith(".log")).findFirst().orElseThrow();
        }
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).putInt(0, 1_000_000), 57);
        }

        try (CapturedWarnings errors = CapturedWarnings.of(dev.strata.broker.coordinator.InternalTopic.class)) {
            broker.start();
            try (Admin admin = broker.admin()) {
                Map<TopicPartition, OffsetAndMetadata> g2 = admin.listConsumerGroupOffsets("g2")
                        .partitionsToOffsetAndMetadata()
                        .get();
                assertThat(g2.get(tp).offset()).isEqualTo(22);
                assertThat(admin.listConsumerGroupOffsets("g1")
                                .partitionsToOffsetAndMetadata()
                                .get())
                        .as("g1's commit was in the corrupt batch")
                        .isEmpty();
            }
            assertThat(errors.messages()).anySatisfy(m -> assertThat(m)
                    .contains("corrupt record batch at offsets 0-0 of __consumer_offsets-0"));
        }
    }
}
