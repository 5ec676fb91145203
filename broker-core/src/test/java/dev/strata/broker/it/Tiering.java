package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.TopicConfig;

/**
 * Actions and expectations shared by the tiered-storage tests: a tiered topic's settings, records whose key, value
 * and timestamp follow from their offset (so each one can be checked on its own), ListOffsets, the local segment files
 * of a partition, and waiting until a partition is tiered.
 */
final class Tiering {

    /** Keeps one byte locally: every sealed segment goes as soon as it is remote. */
    static final String TINY_LOCAL_RETENTION = "1";

    private Tiering() {}

    /** A topic with {@code remote.storage.enable=true}, segments of {@code segmentBytes} and a tiny local retention. */
    static Map<String, String> tieredTopic(int segmentBytes) {
        return Map.of(
                TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG,
                "true",
                TopicConfig.SEGMENT_BYTES_CONFIG,
                Integer.toString(segmentBytes),
                TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG,
                TINY_LOCAL_RETENTION);
    }

    /**
     * The settings of a broker that tiers to the filesystem backend in {@code remoteDir} and runs its copy and retention
     * tasks every 200 ms, plus {@code more} as key, value, key, value...
     */
    static Map<String, String> tieringBroker(Path remoteDir, String... more) {
        Map<String, String> config = new java.util.HashMap<>(Map.of(
                "remote.log.storage.system.enable", "true",
                "rsm.config.dir", remoteDir.toString(),
                "remote.log.manager.task.interval.ms", "200",
                "log.retention.check.interval.ms", "200"));
        for (int i = 0; i < more.length; i += 2) {
            config.put(more[i], more[i + 1]);
        }
        return config;
    }

    /** A temporary directory for a filesystem remote tier. */
    static Path tempDir() {
        try {
            return Files.createTempDirectory("strata-remote-it-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String key(long offset) {
        return "key-" + offset;
    }

    /** {@code bytes} ASCII characters starting with the offset, the rest pseudo-random (and so incompressible). */
    static String value(long offset, int bytes) {
        StringBuilder value = new StringBuilder(bytes).append(offset).append(':');
        long x = (offset + 1) * 0x9E3779B97F4A7C15L;
        while (value.length() < bytes) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            value.append((char) ('a' + Math.floorMod(x, 26)));
        }
        return value.toString();
    }

    /** As {@link #produce(KafkaProducer, TopicPartition, long, int, int, long)}, to partition 0 of {@code topic}. */
    static void produce(
            KafkaProducer<String, String> producer,
            String topic,
            long from,
            int count,
            int valueBytes,
            long baseTimestamp) {
        produce(producer, new TopicPartition(topic, 0), from, count, valueBytes, baseTimestamp);
    }

    /**
     * Sends the records of offsets {@code [from, from + count)} to {@code tp}, timestamped
     * {@code baseTimestamp + offset}, and checks that each was acknowledged at its offset.
     */
    static void produce(
            KafkaProducer<String, String> producer,
            TopicPartition tp,
            long from,
            int count,
            int valueBytes,
            long baseTimestamp) {
        List<Future<RecordMetadata>> sends = new ArrayList<>(count);
        for (long offset = from; offset < from + count; offset++) {
            sends.add(producer.send(new ProducerRecord<>(
                    tp.topic(), tp.partition(), baseTimestamp + offset, key(offset), value(offset, valueBytes))));
        }
        producer.flush();
        try {
            for (int i = 0; i < count; i++) {
                assertThat(sends.get(i).get().offset())
                        .as("offset of send %d", i)
                        .isEqualTo(from + i);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException e) {
            throw new AssertionError("a send to " + tp + " failed", e.getCause());
        }
    }

    /** Asserts that {@code records} are those of offsets {@code [from, from + records.size())}, byte for byte. */
    static void assertRecords(
            List<ConsumerRecord<String, String>> records, long from, int valueBytes, long baseTimestamp) {
        for (int i = 0; i < records.size(); i++) {
            ConsumerRecord<String, String> record = records.get(i);
            long offset = from + i;
            assertThat(record.offset()).as("offset of record %d", i).isEqualTo(offset);
            assertThat(record.key()).as("key at %d", offset).isEqualTo(key(offset));
            assertThat(record.value()).as("value at %d", offset).isEqualTo(value(offset, valueBytes));
            assertThat(record.timestamp()).as("timestamp at %d", offset).isEqualTo(baseTimestamp + offset);
        }
    }

    /** The offset ListOffsets answers for {@code spec}. */
    static long offset(Admin admin, TopicPartition tp, OffsetSpec spec) {
        return listOffset(admin, tp, spec).offset();
    }

    /** ListOffsets' answer (offset, timestamp, leader epoch) for {@code spec}. */
    static ListOffsetsResultInfo listOffset(Admin admin, TopicPartition tp, OffsetSpec spec) {
        try {
            return admin.listOffsets(Map.of(tp, spec)).partitionResult(tp).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException e) {
            throw new AssertionError("ListOffsets " + spec + " of " + tp + " failed", e.getCause());
        }
    }

    static Uuid topicId(Admin admin, String topic) {
        try {
            return admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get()
                    .get(topic)
                    .topicId();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException e) {
            throw new AssertionError("DescribeTopics " + topic + " failed", e.getCause());
        }
    }

    /**
     * Waits until every sealed segment of the partition is remote and deleted locally: the local log is its active
     * segment alone and the remote tier ends right below it.
     */
    static void awaitTiered(Admin admin, Path logDir, TopicPartition tp, Duration timeout) {
        Await.until(timeout, "the sealed segments of " + tp + " to be remote only", () -> {
            if (localLogFiles(logDir, tp) != 1) {
                return false;
            }
            long localStart = offset(admin, tp, OffsetSpec.earliestLocal());
            return localStart > 0 && offset(admin, tp, OffsetSpec.latestTiered()) == localStart - 1;
        });
    }

    /**
     * The {@code .log} files of the topic's partitions in the filesystem remote tier under {@code remoteDir} (kept
     * under {@code <topic>-<topic id>/<partition>}); -1 if they changed while counted.
     */
    static long remoteLogFiles(Path remoteDir, String topic) {
        if (!Files.exists(remoteDir)) {
            return 0;
        }
        try (Stream<Path> paths = Files.walk(remoteDir)) {
            return paths.filter(p -> p.getFileName().toString().endsWith(".log"))
                    .filter(p -> remoteDir.relativize(p).getName(0).toString().startsWith(topic + "-"))
                    .count();
        } catch (IOException | UncheckedIOException e) {
            // a file vanished during the walk (an upload renaming its temporary files): not a stable count
            return -1;
        }
    }

    /** The {@code .log} files of the partition's directory under {@code logDir}; -1 if they changed while counted. */
    static long localLogFiles(Path logDir, TopicPartition tp) {
        Path dir = logDir.resolve(tp.topic() + "-" + tp.partition());
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".log"))
                    .count();
        } catch (IOException | UncheckedIOException e) {
            // a segment deleted during the listing: not a stable count
            return -1;
        }
    }
}
