package dev.strata.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One broker's turn in one round of {@code bench compare}: after the warm-up, every driver runs its workloads at every
 * partition count against the freshly started broker. With both {@code produce} and {@code consume}, a driver produces
 * into a fresh topic and then reads that topic from offset 0 (the shape of {@code kafka-producer-perf-test} followed
 * by {@code kafka-consumer-perf-test}); {@code consume} alone fills the topic unmeasured first. The other workloads
 * (LoadDriver only) run as {@code bench run} runs them.
 */
final class ComparePhase {
    private final String bootstrap;
    private final Path dataDir;
    private final KafkaPerfTools tools;

    /**
     * @param tools Apache Kafka's perf tools; null when no driver needs them
     */
    ComparePhase(String bootstrap, Path dataDir, KafkaPerfTools tools) {
        this.bootstrap = bootstrap;
        this.dataDir = dataDir;
        this.tools = tools;
    }

    /** Unmeasured produce for {@code warmup}, so that neither broker is measured with a cold JIT. */
    void warmUp(WorkloadSpec spec, Duration warmup) {
        if (!warmup.isZero()) {
            System.err.println("warming up " + bootstrap + " for " + warmup.toMillis() / 1000.0 + " s (not measured)");
            new WorkloadRunner(bootstrap, dataDir)
                    .run(spec.withWorkload(Workload.PRODUCE).withRecords(0).withDuration(warmup));
        }
    }

    /**
     * With a remote-replay workload among {@code specs} and {@code mb} above 0: {@code mb} MB tiered and replayed from
     * the remote tier, unmeasured ({@link RemoteReplayRun#warmUp}), in the remote-replay workload's shape. The warm-up
     * topic, for the caller to delete after the measured workloads; null when there is none.
     */
    BenchTopic warmUpTiered(List<WorkloadSpec> specs, long mb) {
        WorkloadSpec remote = find(specs, Workload.REMOTE_REPLAY);
        if (remote == null || mb <= 0) {
            return null;
        }
        System.err.println("warming up " + bootstrap + "'s tiering with " + mb + " MB (not measured)");
        return new RemoteReplayRun(bootstrap, dataDir, RemoteReplayRun.sized(remote, mb)).warmUp();
    }

    /** Every workload of {@code specs} (at their own partition count) that {@code driver} runs. */
    List<Sample> run(CompareDriver driver, List<WorkloadSpec> specs) throws IOException, InterruptedException {
        List<Sample> samples = new ArrayList<>();
        WorkloadSpec produce = find(specs, Workload.PRODUCE);
        WorkloadSpec consume = find(specs, Workload.CONSUME);
        if (produce != null || consume != null) {
            for (WorkloadResult r : produceThenConsume(driver, produce, consume)) {
                samples.add(new Sample(driver, r));
            }
        }
        for (WorkloadSpec s : specs) {
            if (s.workload() != Workload.PRODUCE && s.workload() != Workload.CONSUME && driver.runs(s.workload())) {
                samples.add(new Sample(driver, new WorkloadRunner(bootstrap, dataDir).run(s)));
            }
        }
        return samples;
    }

    private List<WorkloadResult> produceThenConsume(CompareDriver driver, WorkloadSpec produce, WorkloadSpec consume)
            throws IOException, InterruptedException {
        WorkloadSpec spec = produce != null ? produce : consume.withWorkload(Workload.PRODUCE);
        List<WorkloadResult> results = new ArrayList<>();
        try (BenchTopic topic = BenchTopic.create(bootstrap, spec)) {
            System.err.printf(
                    "%s: produce%s, %d partitions, %s, against %s%n",
                    driver.label(),
                    consume != null ? " then consume" : "",
                    spec.partitions(),
                    spec.records() > 0
                            ? spec.records() + " records"
                            : "for " + spec.duration().toSeconds() + " s",
                    bootstrap);
            WorkloadResult written = driver == CompareDriver.KAFKA_PERF
                    ? tools.produce(bootstrap, topic.name(), spec)
                    : new ProduceRun(bootstrap, topic.name(), spec, false).run();
            if (produce != null) {
                results.add(written);
            }
            if (consume != null) {
                results.add(
                        driver == CompareDriver.KAFKA_PERF
                                ? tools.consume(bootstrap, topic.name(), written.records(), consume)
                                : new ConsumeRun(bootstrap, topic, consume, false).run());
            }
        }
        return results;
    }

    private static WorkloadSpec find(List<WorkloadSpec> specs, Workload w) {
        return specs.stream().filter(s -> s.workload() == w).findFirst().orElse(null);
    }

    /**
     * One workload result and the driver that measured it.
     *
     * @param driver the client
     * @param result what it measured
     */
    record Sample(CompareDriver driver, WorkloadResult result) {
        int partitions() {
            return result.spec().partitions();
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("driver", driver.label());
            m.putAll(result.toJson());
            return m;
        }
    }
}
