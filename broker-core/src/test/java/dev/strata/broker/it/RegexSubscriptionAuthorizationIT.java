package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.SubscriptionPattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Regex subscriptions of KIP-848 consumers ({@code group.protocol=consumer}) under ACLs, with the real kafka-clients
 * over SASL_PLAINTEXT/PLAIN (the setup of {@link AuthorizationIT}). alice may read the topics {@code rx-1} and
 * {@code rx-2} (literal ACLs) and not {@code rx-secret}; bob may read every topic starting {@code rx-}. A consumer
 * subscribed with a broker-side regex ({@link SubscriptionPattern}, sent as {@code SubscribedTopicRegex}) gets only the
 * topics its principal may describe, as with Apache Kafka 4.x; one subscribed with a client-side {@link Pattern}
 * matches the topics its Metadata shows, which are the same.
 */
class RegexSubscriptionAuthorizationIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final List<String> TOPICS = List.of("rx-1", "rx-2", "rx-secret");

    @RegisterExtension
    static final TestBroker BROKER = TestBroker.withConfig(config());

    private static Map<String, String> config() {
        Map<String, String> config = AuthorizationIT.brokerConfig(false);
        config.put("group.consumer.heartbeat.interval.ms", "300");
        return config;
    }

    private static AclBinding allow(ResourceType type, String name, PatternType pattern, String user) {
        return new AclBinding(
                new ResourcePattern(type, name, pattern),
                new AccessControlEntry("User:" + user, "*", AclOperation.READ, AclPermissionType.ALLOW));
    }

    @BeforeAll
    static void topicsRecordsAndAcls() throws Exception {
        try (Admin admin = AuthorizationIT.admin(BROKER, "admin")) {
            admin.createTopics(TOPICS.stream()
                            .map(t -> new NewTopic(t, 1, (short) 1))
                            .toList())
                    .all()
                    .get(30, TimeUnit.SECONDS);
            admin.createAcls(List.of(
                            allow(ResourceType.TOPIC, "rx-1", PatternType.LITERAL, "alice"),
                            allow(ResourceType.TOPIC, "rx-2", PatternType.LITERAL, "alice"),
                            allow(ResourceType.GROUP, "rx-", PatternType.PREFIXED, "alice"),
                            allow(ResourceType.TOPIC, "rx-", PatternType.PREFIXED, "bob"),
                            allow(ResourceType.GROUP, "rx-", PatternType.PREFIXED, "bob")))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        try (KafkaProducer<String, String> producer = BROKER.producer(AuthorizationIT.sasl(BROKER, "admin"))) {
            for (String topic : TOPICS) {
                producer.send(new ProducerRecord<>(topic, "from " + topic)).get(30, TimeUnit.SECONDS);
            }
        }
    }

    private static KafkaConsumer<String, String> consumer(String user, String group) {
        Map<String, Object> props = new HashMap<>(AuthorizationIT.sasl(BROKER, user));
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
        return BROKER.consumer(props);
    }

    /** Polls until the consumer has read one record of each of {@code expected}, then a while longer for others. */
    private static Set<String> readTopics(
            String user, String group, Consumer<KafkaConsumer<String, String>> subscribe, Set<String> expected)
            throws Exception {
        Set<String> read = ConcurrentHashMap.newKeySet();
        try (KafkaConsumer<String, String> consumer = consumer(user, group)) {
            subscribe.accept(consumer);
            Await.until(TIMEOUT, user + " to read " + expected, () -> {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    read.add(r.topic());
                }
                return read.containsAll(expected);
            });
            // a few more heartbeats and polls: nothing else arrives, and the assignment stays without the secret
            for (int i = 0; i < 5; i++) {
                consumer.poll(Duration.ofMillis(300)).forEach(r -> read.add(r.topic()));
            }
            assertThat(consumer.assignment().stream().map(TopicPartition::topic))
                    .containsExactlyInAnyOrderElementsOf(expected);
        }
        return read;
    }

    @Test
    void aBrokerSideRegexGetsOnlyTheTopicsThePrincipalMayDescribe() throws Exception {
        Set<String> allowed = Set.of("rx-1", "rx-2");
        assertThat(readTopics("alice", "rx-alice", c -> c.subscribe(new SubscriptionPattern("rx-.*")), allowed))
                .containsExactlyInAnyOrderElementsOf(allowed);
        Set<String> all = Set.copyOf(TOPICS);
        assertThat(readTopics("bob", "rx-bob", c -> c.subscribe(new SubscriptionPattern("rx-.*")), all))
                .containsExactlyInAnyOrderElementsOf(all);
    }

    @Test
    void aClientSidePatternGetsOnlyTheTopicsThePrincipalMayDescribe() throws Exception {
        Set<String> allowed = Set.of("rx-1", "rx-2");
        assertThat(readTopics("alice", "rx-alice-p", c -> c.subscribe(Pattern.compile("rx-.*")), allowed))
                .containsExactlyInAnyOrderElementsOf(allowed);
        Set<String> all = Set.copyOf(TOPICS);
        assertThat(readTopics("bob", "rx-bob-p", c -> c.subscribe(Pattern.compile("rx-.*")), all))
                .containsExactlyInAnyOrderElementsOf(all);
    }
}
