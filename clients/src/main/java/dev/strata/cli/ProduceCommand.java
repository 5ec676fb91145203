package dev.strata.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code strata produce}: one record per input line, from stdin or a file. A line is the value; with
 * {@code --key-separator} the text before the first separator is the key; with {@code --json} a line is an object
 * {@code {"key":..., "value":..., "headers":{...}, "partition":N, "timestamp":MS}} (every field optional; a value that
 * is not a string is sent as its JSON text). The topic must exist. Prints the count on stderr; exit code 1 when any
 * record was not acknowledged.
 */
@Command(name = "produce", mixinStandardHelpOptions = true, description = "Produces one record per input line.")
final class ProduceCommand implements java.util.concurrent.Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions client;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC")
    String topic;

    @Option(names = "--file", paramLabel = "FILE", description = "read this file instead of stdin")
    Path file;

    @Option(
            names = "--key-separator",
            paramLabel = "SEP",
            description = "split each line at the first SEP into key and value (a line without it has no key)")
    String keySeparator;

    @Option(names = "--header", paramLabel = "KEY=VALUE", description = "a header on every record; repeatable")
    List<String> headers = new ArrayList<>();

    @Option(names = "--json", description = "each line is a JSON object with key, value, headers, partition, timestamp")
    boolean json;

    @Option(names = "--partition", paramLabel = "N", description = "send every record to this partition")
    Integer partition;

    @Option(names = "--acks", paramLabel = "all|1|0", defaultValue = "all", description = "default: ${DEFAULT-VALUE}")
    String acks;

    @Option(
            names = "--compression",
            paramLabel = "none|gzip|snappy|lz4|zstd",
            defaultValue = "none",
            description = "default: ${DEFAULT-VALUE}")
    String compression;

    @Option(
            names = "--idempotence",
            paramLabel = "true|false",
            arity = "0..1",
            fallbackValue = "true",
            description = "the idempotent producer (kafka-clients' default: true; needs --acks all)")
    Boolean idempotence;

    @Option(names = "--linger-ms", paramLabel = "MS", defaultValue = "5")
    int lingerMs;

    /** One input line as a record to send. */
    record Input(byte[] key, byte[] value, List<Header> headers, Integer partition, Long timestamp) {}

    @Override
    public Integer call() throws IOException {
        validate();
        List<Header> fixedHeaders;
        try {
            fixedHeaders = parseHeaders(headers);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        requireTopic();
        AtomicLong acked = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicReference<Exception> firstError = new AtomicReference<>();
        long sent = 0;
        try (BufferedReader reader = open();
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties())) {
            String line;
            int lineNumber = 0;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                Input input;
                try {
                    input = json ? parseJson(line, fixedHeaders) : parseLine(line, keySeparator, fixedHeaders);
                } catch (IllegalArgumentException e) {
                    throw new CliException("line " + lineNumber + ": " + e.getMessage());
                }
                Integer target = input.partition() != null ? input.partition() : partition;
                ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(
                        topic, target, input.timestamp(), input.key(), input.value(), input.headers());
                try {
                    producer.send(record, (metadata, error) -> {
                        if (error == null) {
                            acked.incrementAndGet();
                        } else {
                            failed.incrementAndGet();
                            firstError.compareAndSet(null, error);
                        }
                    });
                } catch (org.apache.kafka.common.KafkaException e) {
                    throw Kafka.failure(e, client, "produce to " + topic);
                }
                sent++;
            }
            producer.flush();
        } catch (NoSuchFileException e) {
            throw new CliException("no such file: " + file);
        }
        spec.commandLine().getErr().println("Produced " + acked.get() + " of " + sent + " records to " + topic + ".");
        if (failed.get() > 0) {
            throw Kafka.failure(firstError.get(), client, "produce " + failed.get() + " records to " + topic);
        }
        return StrataCli.OK;
    }

    private void validate() {
        if (json && keySeparator != null) {
            throw new ParameterException(spec.commandLine(), "--json and --key-separator do not go together");
        }
        if (keySeparator != null && keySeparator.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--key-separator must not be empty");
        }
        if (!List.of("all", "-1", "0", "1").contains(acks)) {
            throw new ParameterException(spec.commandLine(), "--acks must be all, -1, 0 or 1, not " + acks);
        }
        if (Boolean.TRUE.equals(idempotence) && !acks.equals("all") && !acks.equals("-1")) {
            throw new ParameterException(spec.commandLine(), "--idempotence needs --acks all");
        }
        if (!List.of("none", "gzip", "snappy", "lz4", "zstd").contains(compression)) {
            throw new ParameterException(
                    spec.commandLine(), "--compression must be none, gzip, snappy, lz4 or zstd, not " + compression);
        }
    }

    private void requireTopic() {
        try (Admin admin = client.admin()) {
            Kafka.describeTopic(admin, client, topic);
        }
    }

    private BufferedReader open() throws IOException {
        return file == null
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(file, StandardCharsets.UTF_8);
    }

    private Properties producerProperties() {
        Properties props = client.properties();
        props.put(ProducerConfig.ACKS_CONFIG, acks);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
        props.put(ProducerConfig.LINGER_MS_CONFIG, Integer.toString(lingerMs));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Integer.toString(client.timeoutMs));
        int request = Integer.parseInt(props.getProperty(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG));
        props.putIfAbsent(
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.toString(Math.max(client.timeoutMs, request + 5)));
        if (idempotence != null) {
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, idempotence.toString());
        } else if (!acks.equals("all") && !acks.equals("-1")) {
            // kafka-clients refuses an explicit idempotence with acks 0 or 1; its default yields to them
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        }
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return props;
    }

    /** {@code KEY=VALUE} strings as headers. */
    static List<Header> parseHeaders(List<String> specs) {
        List<Header> result = new ArrayList<>();
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--header needs KEY=VALUE, not " + spec);
            }
            result.add(new RecordHeader(spec.substring(0, eq), utf8(spec.substring(eq + 1))));
        }
        return result;
    }

    /** A plain line: the value, or key and value split at the first {@code separator} (null for none). */
    static Input parseLine(String line, String separator, List<Header> headers) {
        if (separator != null) {
            int at = line.indexOf(separator);
            if (at >= 0) {
                return new Input(
                        utf8(line.substring(0, at)),
                        utf8(line.substring(at + separator.length())),
                        headers,
                        null,
                        null);
            }
        }
        return new Input(null, utf8(line), headers, null, null);
    }

    /** A {@code --json} line. */
    static Input parseJson(String line, List<Header> fixedHeaders) {
        if (!(Json.parse(line) instanceof Map<?, ?> object)) {
            throw new IllegalArgumentException("a --json line must be a JSON object");
        }
        for (Object field : object.keySet()) {
            if (!List.of("key", "value", "headers", "partition", "timestamp").contains(field)) {
                throw new IllegalArgumentException(
                        "unknown field \"" + field + "\" (known: key, value, headers, partition, timestamp)");
            }
        }
        List<Header> headers = new ArrayList<>(fixedHeaders);
        Object h = object.get("headers");
        if (h instanceof Map<?, ?> map) {
            Map<Object, Object> ordered = new LinkedHashMap<>(map);
            ordered.forEach((k, v) -> headers.add(new RecordHeader(String.valueOf(k), v == null ? null : text(v))));
        } else if (h != null) {
            throw new IllegalArgumentException("\"headers\" must be an object of names to strings");
        }
        return new Input(
                object.get("key") == null ? null : text(object.get("key")),
                object.get("value") == null ? null : text(object.get("value")),
                headers,
                partitionOf(object.get("partition")),
                timestampOf(object.get("timestamp")));
    }

    private static Integer partitionOf(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Long n && n >= 0 && n <= Integer.MAX_VALUE) {
            return n.intValue();
        }
        throw new IllegalArgumentException("\"partition\" must be a non-negative integer");
    }

    private static Long timestampOf(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Long n && n >= 0) {
            return n;
        }
        throw new IllegalArgumentException("\"timestamp\" must be epoch milliseconds, a non-negative integer");
    }

    /** A string as its UTF-8 bytes; anything else as its JSON text. */
    private static byte[] text(Object value) {
        return utf8(value instanceof String s ? s : Json.write(value));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
