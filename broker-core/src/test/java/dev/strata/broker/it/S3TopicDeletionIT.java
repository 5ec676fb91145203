package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import dev.strata.testing.S3ProxyEndpoint;
import dev.strata.tiering.PendingDeletions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deleting a tiered topic while its object store hangs: the deletion is recorded and answered at once, topic admin and
 * metadata keep answering, the record survives a restart with the store still hanging, and once the store is back
 * every object of the topic leaves the bucket.
 */
class S3TopicDeletionIT {

    private static final String BUCKET = "strata-deletion";
    private static final String KEY_PREFIX = "deletion/";
    private static final int SEGMENT_BYTES = 128 * 1024;
    private static final int VALUE_BYTES = 1024;
    /** About four segments. */
    private static final int RECORDS = 500;

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    /** Less than one S3 call against a store that hangs (its attempt timeout, 5 s). */
    private static final long PROMPT_SECONDS = 3;

    private static final long BASE_TIMESTAMP = System.currentTimeMillis() - 3_600_000L;

    @TempDir
    Path dir;

    private S3ProxyEndpoint proxy;
    private TieredBucket bucket;
    private TestBroker broker;

    @BeforeEach
    void startStoreAndBroker() throws Exception {
        proxy = S3ProxyEndpoint.onDisk(dir.resolve("blobs"));
        bucket = new TieredBucket(proxy.url(), S3ProxyEndpoint.ACCESS_KEY, S3ProxyEndpoint.SECRET_KEY, BUCKET);
        bucket.create();
        broker = TestBroker.withConfig(bucket.fastFailingBrokerSettings(KEY_PREFIX));
        broker.start();
    }

    @AfterEach
    void stopBrokerAndStore() throws Exception {
        try {
            if (broker != null) {
                broker.close();
            }
        } finally {
            proxy.close();
        }
    }

    @Test
    void aTieredTopicDeletedWhileTheStoreHangsLeavesTheBucketOnceTheStoreIsBack() throws Exception {
        String topic = "deleted-while-down";
        TopicPartition tp = new TopicPartition(topic, 0);
        broker.createTopic(topic, 1, Tiering.tieredTopic(SEGMENT_BYTES));
        try (KafkaProducer<String, String> producer = broker.producer()) {
            Tiering.produce(producer, topic, 0, RECORDS, VALUE_BYTES, BASE_TIMESTAMP);
        }
        String prefix;
        try (Admin admin = broker.admin()) {
            Tiering.awaitTiered(admin, broker.logDir(), tp, TIMEOUT);
            Uuid topicId = Tiering.topicId(admin, topic);
            prefix = TieredBucket.partitionPrefix(KEY_PREFIX, topic, topicId, 0);
        }
        assertThat(bucket.segments(prefix)).as("segments in the bucket").hasSizeGreaterThanOrEqualTo(3);

        proxy.stop();
        try (DeadEndpoint hanging = DeadEndpoint.hanging(proxy.port())) {
            try (Admin admin = broker.admin()) {
                admin.deleteTopics(List.of(topic)).all().get(PROMPT_SECONDS, TimeUnit.SECONDS);
                // the topic manager is free: creation and metadata answer while the deletion waits for the store
                admin.createTopics(List.of(new NewTopic("created-meanwhile", 1, (short) 1)))
                        .all()
                        .get(PROMPT_SECONDS, TimeUnit.SECONDS);
                assertThat(admin.listTopics().names().get(PROMPT_SECONDS, TimeUnit.SECONDS))
                        .contains("created-meanwhile")
                        .doesNotContain(topic);
            }
            Await.until(TIMEOUT, "the broker to try the hanging store", () -> hanging.connections() > 0);
            assertThat(pendingDeletions()).as("pending deletions").contains(topic);

            // a restart with the store still hanging keeps the record and starts at once
            long restartStart = System.nanoTime();
            broker.restart();
            assertThat(Duration.ofNanos(System.nanoTime() - restartStart)).isLessThan(Duration.ofSeconds(60));
            try (Admin admin = broker.admin()) {
                assertThat(admin.listTopics().names().get(PROMPT_SECONDS, TimeUnit.SECONDS))
                        .contains("created-meanwhile");
            }
            assertThat(pendingDeletions())
                    .as("pending deletions after the restart")
                    .contains(topic);
        }

        proxy.start();
        Await.until(TIMEOUT, "every object of the topic to leave the bucket", () -> bucket.keys(prefix)
                .isEmpty());
        Await.until(TIMEOUT, "the pending deletion to be done", () -> !pendingDeletions()
                .contains(topic));
    }

    private String pendingDeletions() {
        Path file = broker.logDir().resolve(PendingDeletions.FILE_NAME);
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
