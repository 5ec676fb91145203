package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.testing.Await;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterClientQuotasOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.quota.ClientQuotaFilterComponent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Client quotas with the real Admin client, producer and consumer: quotas set with {@code alterClientQuotas} (what
 * {@code kafka-configs.sh --entity-type users|clients} sends) are described back with Kafka's filters, refused with
 * INVALID_REQUEST when malformed, and survive a restart; a producer and a consumer over their byte rates, and a
 * producer over its request percentage, get throttle time in their responses (their clients' own throttle metrics show
 * it) and lose nothing. The rates are measured over
 * 2 windows of 1 s here, so that a throttle lasts about a second, not Kafka's default ten.
 */
class ClientQuotasIT {

    @RegisterExtension
    static final TestBroker broker =
            TestBroker.withConfig(Map.of("quota.window.num", "2", "quota.window.size.seconds", "1"));

    private static final ClientQuotaEntity ALICE = new ClientQuotaEntity(Map.of(ClientQuotaEntity.USER, "alice"));
    private static final ClientQuotaEntity DEFAULT_CLIENT =
            new ClientQuotaEntity(java.util.Collections.singletonMap(ClientQuotaEntity.CLIENT_ID, null));
    private static final ClientQuotaEntity ALICE_APP =
            new ClientQuotaEntity(Map.of(ClientQuotaEntity.USER, "alice", ClientQuotaEntity.CLIENT_ID, "app"));

    @Test
    void quotasAreSetDescribedWithKafkasFiltersRemovedAndKeptAcrossARestart() throws Exception {
        try (Admin admin = broker.admin()) {
            alter(admin, ALICE, "producer_byte_rate", 1024.0);
            alter(admin, DEFAULT_CLIENT, "consumer_byte_rate", 2048.0);
            alter(admin, ALICE_APP, "consumer_byte_rate", 4096.0);

            assertThat(describe(
                            admin,
                            ClientQuotaFilter.containsOnly(
                                    List.of(ClientQuotaFilterComponent.ofEntity(ClientQuotaEntity.USER, "alice")))))
                    .isEqualTo(Map.of(ALICE, Map.of("producer_byte_rate", 1024.0)));
            assertThat(describe(
                            admin,
                            ClientQuotaFilter.contains(
                                    List.of(ClientQuotaFilterComponent.ofEntity(ClientQuotaEntity.USER, "alice")))))
                    .containsOnlyKeys(ALICE, ALICE_APP);
            assertThat(describe(
                            admin,
                            ClientQuotaFilter.containsOnly(
                                    List.of(ClientQuotaFilterComponent.ofDefaultEntity(ClientQuotaEntity.CLIENT_ID)))))
                    .isEqualTo(Map.of(DEFAULT_CLIENT, Map.of("consumer_byte_rate", 2048.0)));
            assertThat(describe(
                            admin,
                            ClientQuotaFilter.contains(
                                    List.of(ClientQuotaFilterComponent.ofEntityType(ClientQuotaEntity.CLIENT_ID)))))
                    .containsOnlyKeys(DEFAULT_CLIENT, ALICE_APP);
            assertThat(describe(admin, ClientQuotaFilter.all())).containsOnlyKeys(ALICE, DEFAULT_CLIENT, ALICE_APP);

            admin.alterClientQuotas(List.of(new ClientQuotaAlteration(
                            ALICE_APP, List.of(new ClientQuotaAlteration.Op("consumer_byte_rate", null)))))
                    .all()
                    .get();
            assertThat(describe(admin, ClientQuotaFilter.all())).containsOnlyKeys(ALICE, DEFAULT_CLIENT);
        }
        broker.restart();
        try (Admin admin = broker.admin()) {
            assertThat(describe(admin, ClientQuotaFilter.all()))
                    .isEqualTo(Map.of(
                            ALICE, Map.of("producer_byte_rate", 1024.0),
                            DEFAULT_CLIENT, Map.of("consumer_byte_rate", 2048.0)));
            for (ClientQuotaEntity entity : List.of(ALICE, DEFAULT_CLIENT)) {
                admin.alterClientQuotas(List.of(new ClientQuotaAlteration(
                                entity,
                                List.of(
                                        new ClientQuotaAlteration.Op("producer_byte_rate", null),
                                        new ClientQuotaAlteration.Op("consumer_byte_rate", null)))))
                        .all()
                        .get();
            }
            assertThat(describe(admin, ClientQuotaFilter.all())).isEmpty();
        }
    }

    @Test
    void malformedQuotasAreRefusedWithInvalidRequestAndChangeNothing() throws Exception {
        ClientQuotaEntity bob = new ClientQuotaEntity(Map.of(ClientQuotaEntity.USER, "bob"));
        try (Admin admin = broker.admin()) {
            for (ClientQuotaAlteration.Op op : List.of(
                    new ClientQuotaAlteration.Op("producer_byte_rate", -5.0),
                    new ClientQuotaAlteration.Op("producer_byte_rate", 1.5),
                    new ClientQuotaAlteration.Op("controller_mutation_rate", 0.0),
                    new ClientQuotaAlteration.Op("no_such_quota", 10.0))) {
                assertThatThrownBy(() -> admin.alterClientQuotas(List.of(new ClientQuotaAlteration(bob, List.of(op))))
                                .all()
                                .get())
                        .isInstanceOf(ExecutionException.class)
                        .cause()
                        .isInstanceOf(InvalidRequestException.class)
                        .hasMessageContaining(op.key());
            }
            ClientQuotaEntity ip = new ClientQuotaEntity(Map.of(ClientQuotaEntity.IP, "127.0.0.1"));
            assertThatThrownBy(() -> admin.alterClientQuotas(List.of(new ClientQuotaAlteration(
                                    ip, List.of(new ClientQuotaAlteration.Op("connection_creation_rate", 5.0)))))
                            .all()
                            .get())
                    .cause()
                    .isInstanceOf(InvalidRequestException.class);
            admin.alterClientQuotas(
                            List.of(new ClientQuotaAlteration(
                                    bob, List.of(new ClientQuotaAlteration.Op("producer_byte_rate", 10.0)))),
                            new AlterClientQuotasOptions().validateOnly(true))
                    .all()
                    .get();
            assertThat(describe(admin, ClientQuotaFilter.all())).doesNotContainKey(bob);
        }
    }

    @Test
    void aProducerOverItsByteRateIsThrottledAndEveryRecordIsKept() throws Exception {
        String topic = "produce-quota";
        broker.createTopic(topic, 1, Map.of());
        ClientQuotaEntity client = new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID, "slow-producer"));
        try (Admin admin = broker.admin()) {
            alter(admin, client, "producer_byte_rate", 50_000.0);
        }
        String value = "x".repeat(1000);
        try (KafkaProducer<String, String> producer = broker.producer(Map.of(
                ProducerConfig.CLIENT_ID_CONFIG, "slow-producer",
                ProducerConfig.BATCH_SIZE_CONFIG, 16_384,
                ProducerConfig.LINGER_MS_CONFIG, 0))) {
            for (int i = 0; i < 300; i++) {
                producer.send(new ProducerRecord<>(topic, 0, "k" + i, value));
            }
            producer.flush();
            assertThat(metric(producer.metrics(), "produce-throttle-time-max"))
                    .as("the longest throttle the producer was told")
                    .isPositive();
        }
        assertThat(readKeys(topic, "reader", 300)).hasSize(300);
    }

    @Test
    void aConsumerOverItsByteRateIsThrottledAndMissesNothing() throws Exception {
        String topic = "fetch-quota";
        broker.createTopic(topic, 1, Map.of());
        String value = "y".repeat(1000);
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = 0; i < 250; i++) {
                producer.send(new ProducerRecord<>(topic, 0, "k" + i, value));
            }
            producer.flush();
        }
        ClientQuotaEntity client = new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID, "slow-consumer"));
        try (Admin admin = broker.admin()) {
            alter(admin, client, "consumer_byte_rate", 100_000.0);
        }
        Set<String> keys = new HashSet<>();
        try (KafkaConsumer<String, String> consumer = broker.consumer(Map.of(
                ConsumerConfig.CLIENT_ID_CONFIG,
                "slow-consumer",
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                200_000))) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            consumer.seekToBeginning(List.of(new TopicPartition(topic, 0)));
            Await.until(Duration.ofSeconds(60), "250 records", () -> {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    keys.add(r.key());
                }
                return keys.size() == 250;
            });
            assertThat(metric(consumer.metrics(), "fetch-throttle-time-max"))
                    .as("the longest throttle the consumer was told")
                    .isPositive();
        }
    }

    @Test
    void aClientOverItsRequestPercentageIsThrottled() throws Exception {
        String topic = "request-quota";
        broker.createTopic(topic, 1, Map.of());
        ClientQuotaEntity client = new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID, "busy-producer"));
        try (Admin admin = broker.admin()) {
            // a thousandth of a percent of one I/O thread: any produce's work on the pool is over it
            alter(admin, client, "request_percentage", 0.001);
        }
        try (KafkaProducer<String, String> producer = broker.producer(
                Map.of(ProducerConfig.CLIENT_ID_CONFIG, "busy-producer", ProducerConfig.LINGER_MS_CONFIG, 0))) {
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>(topic, 0, "k" + i, "v")).get();
            }
            assertThat(metric(producer.metrics(), "produce-throttle-time-max"))
                    .as("the longest throttle the producer was told")
                    .isPositive()
                    .isLessThanOrEqualTo(1000);
        }
        assertThat(readKeys(topic, "reader", 5)).hasSize(5);
    }

    private static Set<String> readKeys(String topic, String clientId, int count) {
        Set<String> keys = new HashSet<>();
        try (KafkaConsumer<String, String> consumer =
                broker.consumer(Map.of(ConsumerConfig.CLIENT_ID_CONFIG, clientId))) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            consumer.seekToBeginning(List.of(new TopicPartition(topic, 0)));
            Await.until(Duration.ofSeconds(60), count + " records", () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> keys.add(r.key()));
                return keys.size() >= count;
            });
        }
        return keys;
    }

    private static double metric(Map<MetricName, ? extends Metric> metrics, String name) {
        return metrics.entrySet().stream()
                .filter(e -> e.getKey().name().equals(name))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
                .filter(v -> !Double.isNaN(v))
                .max()
                .orElse(0);
    }

    private static void alter(Admin admin, ClientQuotaEntity entity, String key, double value) throws Exception {
        admin.alterClientQuotas(
                        List.of(new ClientQuotaAlteration(entity, List.of(new ClientQuotaAlteration.Op(key, value)))))
                .all()
                .get();
    }

    private static Map<ClientQuotaEntity, Map<String, Double>> describe(Admin admin, ClientQuotaFilter filter)
            throws Exception {
        return admin.describeClientQuotas(filter).entities().get();
    }
}
