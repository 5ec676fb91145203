package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** The well-behaved client of the abuse tests: a record produced and read back while others misbehave. */
final class Canary {

    private Canary() {}

    /** A producer and a consumer that behave still get through on {@code topic}, and the broker process is alive. */
    static void assertServes(BrokerProcess broker, String bootstrap, String topic, String when, Duration timeout)
            throws Exception {
        assertThat(broker.isAlive())
                .as("broker alive " + when + "; output:\n" + broker.outputTail())
                .isTrue();
        String value = "served " + when;
        long offset;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                        ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000,
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000,
                        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 20_000),
                new StringSerializer(),
                new StringSerializer())) {
            offset = producer.send(new ProducerRecord<>(topic, 0, "k", value))
                    .get()
                    .offset();
        } catch (ExecutionException e) {
            throw new AssertionError("the canary producer failed " + when, e.getCause());
        }
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seek(tp, offset);
            List<ConsumerRecord<String, String>> records = Await.records(consumer, 1, timeout);
            assertThat(records.get(0).value()).isEqualTo(value);
        }
        assertThat(broker.isAlive())
                .as("broker alive " + when + "; output:\n" + broker.outputTail())
                .isTrue();
    }
}
