package dev.strata.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Apache Kafka's own perf tools as a second client beside {@link LoadDriver}: {@code kafka-producer-perf-test}
 * ({@code org.apache.kafka.tools.ProducerPerformance}) and {@code kafka-consumer-perf-test}
 * ({@code org.apache.kafka.tools.ConsumerPerformance}) of kafka-tools 4.3.1, each run as its script runs it: a child
 * JVM of its own on Apache Kafka's jars (the broker's classpath file plus the kafka-tools jar, as Kafka's
 * {@code libs/}) with the scripts' JVM options ({@code -Xmx512M}, G1). Their summary lines are read back into
 * {@link WorkloadResult}s, with MB as 10^6 bytes as everywhere in the benchmarks (the tools print MiB).
 *
 * <p>The producer tool sends a fixed number of records (it has no duration); the consumer tool joins a consumer group
 * (subscribe, not assign) and reads that many records. Its figure here is its {@code fetch.time.ms}: the read without
 * the group join, which is what the driver's assign() consumer measures.
 */
final class KafkaPerfTools {
    static final String PRODUCER = "org.apache.kafka.tools.ProducerPerformance";
    static final String CONSUMER = "org.apache.kafka.tools.ConsumerPerformance";

    /** {@code kafka-producer-perf-test.sh} and {@code kafka-consumer-perf-test.sh}: 512 MB heap, Kafka's G1 options. */
    static final List<String> TOOL_JVM_OPTIONS = List.of(
            "-Xmx512M",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:InitiatingHeapOccupancyPercent=35",
            "-XX:+ExplicitGCInvokesConcurrent",
            "-Djava.awt.headless=true");

    /** Kafka's {@code tools-log4j2.yaml}: warnings and errors only. */
    private static final String LOG4J2 =
            """
            status = warn
            appender.console.type = Console
            appender.console.name = STDERR
            appender.console.target = SYSTEM_ERR
            appender.console.layout.type = PatternLayout
            appender.console.layout.pattern = [%d] %p %m (%c)%n
            rootLogger.level = WARN
            rootLogger.appenderRef.console.ref = STDERR
            """;

    /**
     * {@code 1000000 records sent, 83935.2 records/sec (81.97 MB/sec), 310.50 ms avg latency, 1234.00 ms max latency,
     * 300 ms 50th, 600 ms 95th, 700 ms 99th, 800 ms 99.9th.}
     */
    private static final Pattern PRODUCER_TOTAL = Pattern.compile("(\\d+) records sent, ([\\d.]+) records/sec \\("
            + "[\\d.]+ MB/sec\\), ([\\d.]+) ms avg latency, ([\\d.]+) ms max latency, (\\d+) ms 50th, \\d+ ms 95th, "
            + "(\\d+) ms 99th, (\\d+) ms 99.9th");

    private final String classpath;
    private final Path dir;
    private int launches;

    /**
     * @param kafkaClasspath Apache Kafka's jars (the broker's classpath file)
     * @param dir where each run's log and config go
     */
    KafkaPerfTools(String kafkaClasspath, Path dir) throws IOException {
        this.classpath = kafkaClasspath + File.pathSeparator + KafkaBroker.codeSource(PRODUCER);
        this.dir = Files.createDirectories(dir);
        Files.writeString(dir.resolve("log4j2.properties"), LOG4J2);
    }

    /**
     * {@code kafka-producer-perf-test --num-records N}: the spec's record count (which must be set), size, acks,
     * compression, linger and batch size, unthrottled unless the spec has a rate.
     */
    WorkloadResult produce(String bootstrap, String topic, WorkloadSpec spec) throws IOException, InterruptedException {
        if (spec.records() <= 0) {
            throw new IllegalArgumentException("Kafka's producer perf tool needs a record count (--records)");
        }
        List<String> args = new ArrayList<>(List.of(
                "--bootstrap-server",
                bootstrap,
                "--topic",
                topic,
                "--num-records",
                Long.toString(spec.records()),
                "--record-size",
                Integer.toString(spec.recordSize()),
                "--throughput",
                spec.rate() > 0 ? Integer.toString(spec.rate()) : "-1",
                "--command-property",
                "acks=" + spec.acks(),
                "compression.type=" + spec.compression(),
                "linger.ms=" + spec.lingerMs(),
                "batch.size=" + spec.batchSize()));
        String out = run("producer-perf", PRODUCER, args, spec);
        return producerResult(spec, topic, out);
    }

    /** {@code kafka-consumer-perf-test --num-records N} of the topic from its start, in a fresh consumer group. */
    WorkloadResult consume(String bootstrap, String topic, long records, WorkloadSpec spec)
            throws IOException, InterruptedException {
        List<String> args = List.of(
                "--bootstrap-server",
                bootstrap,
                "--topic",
                topic,
                "--num-records",
                Long.toString(records),
                "--group",
                "strata-bench-perf-" + launches,
                "--timeout",
                "30000",
                "--hide-header");
        String out = run("consumer-perf", CONSUMER, args, spec);
        return consumerResult(spec, topic, out);
    }

    private String run(String name, String mainClass, List<String> args, WorkloadSpec spec)
            throws IOException, InterruptedException {
        String logName = String.format(Locale.ROOT, "%s-%03d.log", name, ++launches);
        List<String> jvm = new ArrayList<>(TOOL_JVM_OPTIONS);
        jvm.add("-Dlog4j2.configurationFile=" + dir.resolve("log4j2.properties"));
        ChildProcess.runTool(
                new ChildProcess.Launch(name, dir, classpath, jvm, mainClass, args, logName),
                spec.duration().plus(Duration.ofMinutes(5)));
        return Files.readString(dir.resolve(logName));
    }

    /** The result of the producer tool's last summary line (the total over every record). */
    static WorkloadResult producerResult(WorkloadSpec spec, String topic, String output) {
        Matcher m = PRODUCER_TOTAL.matcher(output);
        MatchResult last = null;
        while (m.find()) {
            last = m.toMatchResult();
        }
        if (last == null) {
            throw new IllegalStateException("no summary line in the producer perf tool's output:\n" + tail(output));
        }
        long records = Long.parseLong(last.group(1));
        double perSecond = Double.parseDouble(last.group(2));
        Percentiles latency = new Percentiles(
                records,
                Double.parseDouble(last.group(5)),
                Double.parseDouble(last.group(6)),
                Double.parseDouble(last.group(7)),
                Double.parseDouble(last.group(4)),
                Double.parseDouble(last.group(3)));
        double seconds = perSecond > 0 ? records / perSecond : 0;
        return new WorkloadResult(
                spec.withWorkload(Workload.PRODUCE), topic, records, records * spec.recordSize(), seconds, 0, latency);
    }

    /**
     * The result of the consumer tool's data line ({@code --hide-header}): {@code start.time, end.time,
     * data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec,
     * fetch.nMsg.sec}; the time is {@code fetch.time.ms}, the bytes the records' values (keys are null).
     */
    static WorkloadResult consumerResult(WorkloadSpec spec, String topic, String output) {
        for (String line : output.strip().split("\n")) {
            String[] f = line.split(",\\s*");
            if (f.length == 10 && f[4].strip().matches("\\d+")) {
                long records = Long.parseLong(f[4].strip());
                long bytes = records * spec.recordSize();
                double seconds = Double.parseDouble(f[7].strip()) / 1000.0;
                return new WorkloadResult(spec.withWorkload(Workload.CONSUME), topic, records, bytes, seconds, 0, null);
            }
        }
        throw new IllegalStateException("no data line in the consumer perf tool's output:\n" + tail(output));
    }

    private static String tail(String s) {
        return s.length() <= 2000 ? s : "..." + s.substring(s.length() - 2000);
    }
}
