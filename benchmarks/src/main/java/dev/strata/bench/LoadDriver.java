package dev.strata.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The end-to-end load driver: runs workloads against any Kafka-protocol bootstrap server (Strata or Apache Kafka),
 * prints a table and writes the results as JSON.
 *
 * <pre>
 * java -cp benchmarks/target/strata-benchmarks-0.1.0-SNAPSHOT.jar:$(cat benchmarks/target/runtime-classpath.txt) \
 *     dev.strata.bench.LoadDriver --bootstrap-server 127.0.0.1:9092 --workload produce,consume --duration 10
 * </pre>
 */
@Command(
        name = "strata-bench",
        mixinStandardHelpOptions = true,
        description =
                "Load driver for Kafka-protocol brokers: produce, consume, e2e, replay and remote-replay workloads.")
public final class LoadDriver implements Callable<Integer> {
    static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    @Option(
            names = "--bootstrap-server",
            description = "Broker to drive (default: ${DEFAULT-VALUE}).",
            defaultValue = "127.0.0.1:9092")
    private String bootstrap;

    @Option(
            names = "--workload",
            split = ",",
            description = "produce, consume, e2e, replay, remote-replay (default: produce).",
            defaultValue = "produce")
    private List<String> workloads;

    @Option(
            names = "--label",
            description = "Name of the broker in the JSON (default: ${DEFAULT-VALUE}).",
            defaultValue = "broker")
    private String label;

    @Option(
            names = "--log-dir",
            description = "The broker's log directory, if it runs on this machine with one; remote-replay needs it.")
    private Path logDir;

    @Option(names = "--output", description = "JSON result file (default: strata-bench-<UTC time>.json).")
    private Path output;

    @CommandLine.Mixin
    private SpecOptions spec = new SpecOptions();

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() throws Exception {
        Instant started = Instant.now();
        List<WorkloadResult> results = new ArrayList<>();
        if (spec.partitionCounts().size() != 1) {
            throw new CommandLine.ParameterException(
                    command.commandLine(), "--partitions takes one count here (bench compare takes several)");
        }
        List<WorkloadSpec> specs =
                workloads.stream().map(w -> spec.toSpec(Workload.parse(w))).toList();
        if (logDir == null && specs.stream().anyMatch(s -> s.workload() == Workload.REMOTE_REPLAY)) {
            throw new CommandLine.ParameterException(
                    command.commandLine(), "remote-replay needs --log-dir, the broker's log directory");
        }
        WorkloadRunner runner = new WorkloadRunner(bootstrap, logDir);
        for (WorkloadSpec s : specs) {
            results.add(runner.run(s));
        }
        Path file = output != null ? output : Path.of("strata-bench-" + STAMP.format(started) + ".json");
        Json.write(file, toJson(label, bootstrap, started, results));
        System.out.print(ResultTable.format(results));
        System.out.println("results: " + file.toAbsolutePath());
        return 0;
    }

    static Map<String, Object> toJson(String label, String bootstrap, Instant started, List<WorkloadResult> results) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("broker", label);
        m.put("bootstrap", bootstrap);
        m.put("started", started.toString());
        m.put("host", MachineInfo.describe());
        m.put("results", results.stream().map(WorkloadResult::toJson).toList());
        return m;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new LoadDriver()).execute(args));
    }

    /** The workload options shared by {@link LoadDriver} and {@link Compare}. */
    static final class SpecOptions {
        @Option(
                names = "--record-size",
                description = "Value size in bytes (default: ${DEFAULT-VALUE}).",
                defaultValue = "1024")
        int recordSize;

        @Option(
                names = "--partitions",
                split = ",",
                description = "Partitions per topic; compare takes several, such as 1,3,8 (default: ${DEFAULT-VALUE}).",
                defaultValue = "3")
        List<Integer> partitions;

        @Option(names = "--acks", description = "all, 1 or 0 (default: ${DEFAULT-VALUE}).", defaultValue = "all")
        String acks;

        @Option(
                names = "--compression",
                description = "none, gzip, snappy, lz4, zstd (default: ${DEFAULT-VALUE}).",
                defaultValue = "none")
        String compression;

        @Option(
                names = "--producers",
                description = "Producer instances (default: ${DEFAULT-VALUE}).",
                defaultValue = "1")
        int producers;

        @Option(
                names = "--duration",
                description = "Seconds per workload phase (default: ${DEFAULT-VALUE}).",
                defaultValue = "10")
        double durationSeconds;

        @Option(
                names = "--records",
                description = "Records to produce; 0 = until the duration (default: 0).",
                defaultValue = "0")
        long records;

        @Option(
                names = "--linger-ms",
                description = "Producer linger.ms (default: ${DEFAULT-VALUE}).",
                defaultValue = "5")
        int lingerMs;

        @Option(
                names = "--batch-size",
                description = "Producer batch.size (default: ${DEFAULT-VALUE}).",
                defaultValue = "16384")
        int batchSize;

        @Option(
                names = "--rate",
                description = "Records/s over all producers; 0 = unthrottled, e2e then sends "
                        + WorkloadSpec.DEFAULT_E2E_RATE + "/s (default: 0).",
                defaultValue = "0")
        int rate;

        @Option(names = "--topic", description = "Replay this existing topic instead of filling a fresh one.")
        String topic;

        @Option(names = "--topic-config", description = "Config of the created topics, key=value (repeatable).")
        Map<String, String> topicConfigs = new LinkedHashMap<>();

        /** The partition counts given, in their order, without repeats. */
        List<Integer> partitionCounts() {
            return partitions.stream().distinct().toList();
        }

        /** The spec of workload {@code w} at the first partition count given. */
        WorkloadSpec toSpec(Workload w) {
            return new WorkloadSpec(
                    w,
                    recordSize,
                    partitions.get(0),
                    acks,
                    compression,
                    producers,
                    Duration.ofMillis(Math.round(durationSeconds * 1000)),
                    records,
                    lingerMs,
                    batchSize,
                    rate,
                    w == Workload.REPLAY ? topic : null,
                    topicConfigs);
        }
    }
}
