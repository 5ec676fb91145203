package dev.strata.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code strata consume}: records of a topic to stdout, from its end (the default), its beginning, an offset, or a
 * time (ListOffsets by timestamp, which reaches into the remote tier), alone or as a member of a group. Stops after
 * {@code --max-messages}, at the end offsets seen at the start with {@code --until-end}, or on Ctrl-C; prints the count
 * on stderr.
 */
@Command(name = "consume", mixinStandardHelpOptions = true, description = "Consumes records of a topic to stdout.")
final class ConsumeCommand implements Callable<Integer> {

    enum Format {
        value,
        key_value,
        json;

        static Format parse(String s) {
            return switch (s) {
                case "value" -> value;
                case "key-value" -> key_value;
                case "json" -> json;
                default -> throw new IllegalArgumentException("--format must be value, key-value or json, not " + s);
            };
        }
    }

    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions client;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC")
    String topic;

    @Option(names = "--partition", paramLabel = "N", description = "only this partition (not with --group)")
    Integer partition;

    /** Where to start; the end of each partition when none is given. */
    static final class Start {
        @Option(names = "--from-beginning", description = "from the log start offset (the remote tier included)")
        boolean beginning;

        @Option(names = "--offset", paramLabel = "N", description = "from offset N of each partition")
        Long offset;

        @Option(
                names = "--from-time",
                paramLabel = "ISO8601",
                description = "from the first record at or after this time, e.g. 2026-12-05T08:00:00Z")
        String fromTime;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Start start = new Start();

    @Option(names = "--group", paramLabel = "GROUP", description = "consume as a member of this consumer group")
    String group;

    @Option(names = "--max-messages", paramLabel = "N", description = "stop after N records")
    Long maxMessages;

    @Option(names = "--until-end", description = "stop at the end offsets the partitions had at the start")
    boolean untilEnd;

    @Option(
            names = "--format",
            paramLabel = "value|key-value|json",
            defaultValue = "value",
            description = "json: one object a line with topic, partition, offset, timestamp, key, value, headers"
                    + " (default: ${DEFAULT-VALUE})")
    String format;

    @Option(
            names = "--key-separator",
            paramLabel = "SEP",
            defaultValue = "\t",
            description = "between key and value in --format key-value (default: a tab)")
    String keySeparator;

    @Option(
            names = "--progress",
            description = "a live progress line on stderr (records, bytes, MB/s, percent of the range to the end"
                    + " offsets, ETA, bytes from the remote tier); off when stderr is not a terminal")
    boolean progress;

    @Override
    public Integer call() {
        Format outputFormat;
        try {
            outputFormat = Format.parse(format);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Long fromTimeMs;
        try {
            fromTimeMs = start.fromTime == null ? null : parseTime(start.fromTime);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (group != null && (partition != null || start.offset != null)) {
            throw new ParameterException(
                    spec.commandLine(), "--group goes with neither --partition nor --offset (a group assigns them)");
        }
        if (maxMessages != null && maxMessages <= 0) {
            throw new ParameterException(spec.commandLine(), "--max-messages must be positive");
        }
        List<TopicPartition> partitions;
        Map<TopicPartition, Long> endOffsets;
        Map<TopicPartition, Long> localStart;
        Map<TopicPartition, Long> timeOffsets = Map.of();
        try (Admin admin = client.admin()) {
            partitions = Kafka.partitionsOf(Kafka.describeTopic(admin, client, topic));
            if (partition != null) {
                TopicPartition tp = new TopicPartition(topic, partition);
                if (!partitions.contains(tp)) {
                    throw new CliException("topic " + topic + " has no partition " + partition);
                }
                partitions = List.of(tp);
            }
            endOffsets = Kafka.offsets(admin, partitions, OffsetSpec.latest(), client, "list the end offsets");
            localStart = Kafka.offsetsIfAnswered(admin, partitions, OffsetSpec.earliestLocal());
            if (fromTimeMs != null) {
                timeOffsets = new HashMap<>(Kafka.offsets(
                        admin, partitions, OffsetSpec.forTimestamp(fromTimeMs), client, "look up offsets by time"));
                // no record at or after the time: start at the end, as Kafka's consumer does
                for (TopicPartition tp : partitions) {
                    if (timeOffsets.getOrDefault(tp, -1L) < 0) {
                        timeOffsets.put(tp, endOffsets.get(tp));
                    }
                }
            }
        }
        Replay replay = new Replay(outputFormat, endOffsets, localStart, timeOffsets);
        return replay.run(partitions);
    }

    /** An ISO-8601 instant or offset date-time, in epoch milliseconds. */
    static long parseTime(String text) {
        try {
            return OffsetDateTime.parse(text).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(text).toEpochMilli();
            } catch (DateTimeParseException again) {
                throw new IllegalArgumentException(
                        "--from-time needs an ISO-8601 time such as 2026-12-05T08:00:00Z, not " + text);
            }
        }
    }

    /** One record as a line of output. */
    static String render(ConsumerRecord<byte[], byte[]> record, Format format, String keySeparator) {
        return switch (format) {
            case value -> text(record.value());
            case key_value -> text(record.key()) + keySeparator + text(record.value());
            case json -> {
                Map<String, Object> object = new LinkedHashMap<>();
                object.put("topic", record.topic());
                object.put("partition", record.partition());
                object.put("offset", record.offset());
                object.put("timestamp", record.timestamp());
                object.put("key", record.key() == null ? null : text(record.key()));
                object.put("value", record.value() == null ? null : text(record.value()));
                Map<String, Object> headers = new LinkedHashMap<>();
                for (Header h : record.headers()) {
                    headers.put(h.key(), h.value() == null ? null : text(h.value()));
                }
                object.put("headers", headers);
                yield Json.write(object);
            }
        };
    }

    private static String text(byte[] bytes) {
        return bytes == null ? "null" : new String(bytes, StandardCharsets.UTF_8);
    }

    /** The consuming loop and its counters. */
    private final class Replay {
        private final Format outputFormat;
        private final Map<TopicPartition, Long> endOffsets;
        private final Map<TopicPartition, Long> localStart;
        private final Map<TopicPartition, Long> timeOffsets;
        private final Map<TopicPartition, Long> startPositions = new HashMap<>();
        private final AtomicBoolean stopping = new AtomicBoolean();
        private long records;
        private long bytes;
        private long remoteBytes;

        Replay(
                Format outputFormat,
                Map<TopicPartition, Long> endOffsets,
                Map<TopicPartition, Long> localStart,
                Map<TopicPartition, Long> timeOffsets) {
            this.outputFormat = outputFormat;
            this.endOffsets = endOffsets;
            this.localStart = localStart;
            this.timeOffsets = timeOffsets;
        }

        int run(List<TopicPartition> partitions) {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            long startNanos = System.nanoTime();
            Progress bar = progress && Progress.stderrIsTerminal() ? new Progress(err, startNanos) : null;
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProperties())) {
                // Ctrl-C: wake the loop, and let it flush and print its count before the JVM exits
                CountDownLatch finished = new CountDownLatch(1);
                Thread hook = new Thread(() -> {
                    stopping.set(true);
                    consumer.wakeup();
                    try {
                        finished.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                Runtime.getRuntime().addShutdownHook(hook);
                try {
                    position(consumer, partitions);
                    while (!done(consumer)) {
                        ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(500));
                        for (ConsumerRecord<byte[], byte[]> record : batch) {
                            out.println(render(record, outputFormat, keySeparator));
                            count(record);
                            if (maxMessages != null && records >= maxMessages) {
                                break;
                            }
                        }
                        out.flush();
                        if (bar != null) {
                            bar.update(System.nanoTime(), records, bytes, remoteBytes, offsetsDone(consumer), range());
                        }
                    }
                } catch (WakeupException e) {
                    // Ctrl-C: end as after the last record
                } catch (KafkaException e) {
                    throw Kafka.failure(e, client, "consume from " + topic);
                } finally {
                    out.flush();
                    if (bar != null) {
                        bar.finish(System.nanoTime(), records, bytes, remoteBytes, offsetsDone(consumer), range());
                    }
                    err.println("Consumed " + records + " records.");
                    finished.countDown();
                    try {
                        Runtime.getRuntime().removeShutdownHook(hook);
                    } catch (IllegalStateException shuttingDown) {
                        // the hook runs already
                    }
                }
            }
            return StrataCli.OK;
        }

        private void position(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions) {
            if (group == null) {
                consumer.assign(partitions);
                for (TopicPartition tp : partitions) {
                    seek(consumer, tp);
                }
                return;
            }
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> revoked) {}

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
                    for (TopicPartition tp : assigned) {
                        if (start.fromTime != null && !startPositions.containsKey(tp)) {
                            seek(consumer, tp);
                        } else if (!startPositions.containsKey(tp)) {
                            startPositions.put(tp, consumer.position(tp));
                        }
                    }
                }
            });
        }

        private void seek(KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp) {
            if (start.beginning) {
                consumer.seekToBeginning(List.of(tp));
            } else if (start.offset != null) {
                consumer.seek(tp, start.offset);
            } else if (start.fromTime != null) {
                consumer.seek(tp, timeOffsets.get(tp));
            } else {
                consumer.seekToEnd(List.of(tp));
            }
            startPositions.put(tp, consumer.position(tp));
        }

        private boolean done(KafkaConsumer<byte[], byte[]> consumer) {
            if (stopping.get() || (maxMessages != null && records >= maxMessages)) {
                return true;
            }
            if (!untilEnd || consumer.assignment().isEmpty()) {
                return false;
            }
            for (TopicPartition tp : consumer.assignment()) {
                if (consumer.position(tp) < endOffsets.getOrDefault(tp, 0L)) {
                    return false;
                }
            }
            return true;
        }

        private void count(ConsumerRecord<byte[], byte[]> record) {
            records++;
            long size = Math.max(0, record.serializedKeySize()) + Math.max(0, record.serializedValueSize());
            bytes += size;
            TopicPartition tp = new TopicPartition(record.topic(), record.partition());
            if (record.offset() < localStart.getOrDefault(tp, -1L)) {
                remoteBytes += size;
            }
        }

        private long offsetsDone(KafkaConsumer<byte[], byte[]> consumer) {
            long done = 0;
            for (Map.Entry<TopicPartition, Long> e : startPositions.entrySet()) {
                try {
                    long end = endOffsets.getOrDefault(e.getKey(), e.getValue());
                    done += Math.max(0, Math.min(consumer.position(e.getKey()), end) - e.getValue());
                } catch (IllegalStateException | KafkaException unknown) {
                    // a partition the group moved away, or a consumer that failed: its share counts as not done
                }
            }
            return done;
        }

        private long range() {
            long total = 0;
            for (Map.Entry<TopicPartition, Long> e : startPositions.entrySet()) {
                total += Math.max(0, endOffsets.getOrDefault(e.getKey(), e.getValue()) - e.getValue());
            }
            return total;
        }

        private Properties consumerProperties() {
            Properties props = client.properties();
            if (group != null) {
                props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
                props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, start.beginning ? "earliest" : "latest");
            } else {
                props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            }
            props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            return props;
        }
    }
}
