package dev.strata.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * The cluster figures of {@code compare --cluster N}, for one system's {@link LocalCluster}, in this order:
 *
 * <ol>
 *   <li>produce throughput and latency with the topic at the cluster's default replication factor (3), {@code acks=all}
 *       and {@code min.insync.replicas=2}, after an unmeasured warm-up: unthrottled (throughput; its latency is mostly
 *       time in the producer's buffer), then paced at a fixed rate (latency at a load both systems carry);
 *   <li>failover, repeated: {@code kill -9} of the leader of a one-partition topic that a {@link FailoverProbe}
 *       writes and reads, then the time to the producer's next acknowledged record and to the consumer's next record;
 *       the node is started again and its replica back in the ISR before the next round;
 *   <li>controlled shutdown, repeated: SIGTERM to that partition's leader, and the time until its process has exited
 *       (and, from the probe, until the next acknowledged and read record); restarted as above.
 * </ol>
 */
final class ClusterBench {
    private static final Duration EVENT_TIMEOUT = Duration.ofSeconds(120);

    private ClusterBench() {}

    /**
     * One system's figures.
     *
     * @param system {@code kafka} or {@code strata}
     * @param produce the measured unthrottled produce run; null if the run failed before it
     * @param paced the produce run at a fixed rate; null if the run failed before it
     * @param failovers one recovery per {@code kill -9}
     * @param shutdowns SIGTERM to process exit, one per controlled shutdown
     * @param shutdownRecoveries the probe's interruption by each controlled shutdown
     * @param failedSends probe records whose send failed for good
     * @param error why the run stopped early; null if it did not
     */
    record ClusterRun(
            String system,
            WorkloadResult produce,
            WorkloadResult paced,
            List<FailoverProbe.Recovery> failovers,
            List<Duration> shutdowns,
            List<FailoverProbe.Recovery> shutdownRecoveries,
            long failedSends,
            String error) {

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("system", system);
            m.put("error", error);
            m.put("produce", produce == null ? null : produce.toJson());
            m.put("produce_paced", paced == null ? null : paced.toJson());
            m.put("failover_next_ack_ms", millis(failovers, FailoverProbe.Recovery::produce));
            m.put("failover_next_read_ms", millis(failovers, FailoverProbe.Recovery::consume));
            m.put("controlled_shutdown_ms", millis(shutdowns, d -> d));
            m.put("controlled_shutdown_next_ack_ms", millis(shutdownRecoveries, FailoverProbe.Recovery::produce));
            m.put("controlled_shutdown_next_read_ms", millis(shutdownRecoveries, FailoverProbe.Recovery::consume));
            m.put("probe_failed_sends", failedSends);
            return m;
        }
    }

    /** Runs everything against {@code cluster}; a failure ends the run early and is reported in the result. */
    static ClusterRun run(
            String system,
            LocalCluster cluster,
            WorkloadSpec produce,
            int pacedRate,
            Duration warmup,
            int failovers,
            int shutdowns) {
        WorkloadResult produced = null;
        WorkloadResult paced = null;
        List<FailoverProbe.Recovery> killed = new ArrayList<>();
        List<Duration> stopped = new ArrayList<>();
        List<FailoverProbe.Recovery> stopRecoveries = new ArrayList<>();
        long failedSends = 0;
        String error = null;
        try {
            WorkloadRunner runner = new WorkloadRunner(cluster.bootstrap());
            if (!warmup.isZero()) {
                System.err.println(system + ": warming up for " + warmup.toSeconds() + " s (not measured)");
                runner.run(produce.withDuration(warmup));
            }
            produced = runner.run(produce);
            paced = runner.run(produce.withRate(pacedRate));
            try (Admin admin = BenchTopic.admin(cluster.bootstrap())) {
                String topic =
                        "strata-bench-failover-" + UUID.randomUUID().toString().substring(0, 8);
                admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())
                                .configs(Map.of("min.insync.replicas", "2"))))
                        .all()
                        .get(30, TimeUnit.SECONDS);
                int replicas = awaitFullIsr(admin, topic);
                try (FailoverProbe probe = new FailoverProbe(cluster.bootstrap(), topic)) {
                    for (int i = 1; i <= failovers; i++) {
                        int leader = leader(admin, topic);
                        probe.mark();
                        cluster.kill(leader);
                        FailoverProbe.Recovery r = awaitRecovery(probe, "kill -9 of node " + leader);
                        killed.add(r);
                        System.err.printf(
                                "%s: failover %d (kill -9 of leader %d): next ack after %d ms, next read after %d ms%n",
                                system,
                                i,
                                leader,
                                r.produce().toMillis(),
                                r.consume().toMillis());
                        cluster.restart(leader);
                        awaitIsr(admin, topic, replicas);
                    }
                    for (int i = 1; i <= shutdowns; i++) {
                        int leader = leader(admin, topic);
                        probe.mark();
                        Duration took = cluster.terminate(leader);
                        FailoverProbe.Recovery r = awaitRecovery(probe, "SIGTERM of node " + leader);
                        stopped.add(took);
                        stopRecoveries.add(r);
                        System.err.printf(
                                "%s: controlled shutdown %d (SIGTERM to leader %d): exited after %d ms; next ack after"
                                        + " %d ms, next read after %d ms%n",
                                system,
                                i,
                                leader,
                                took.toMillis(),
                                r.produce().toMillis(),
                                r.consume().toMillis());
                        cluster.restart(leader);
                        awaitIsr(admin, topic, replicas);
                    }
                    failedSends = probe.failedSends();
                }
            }
        } catch (Exception e) {
            System.err.println("error: " + system + " cluster run failed: " + e);
            error = e.toString();
        }
        return new ClusterRun(system, produced, paced, killed, stopped, stopRecoveries, failedSends, error);
    }

    private static FailoverProbe.Recovery awaitRecovery(FailoverProbe probe, String event) throws IOException {
        FailoverProbe.Recovery r = probe.await(EVENT_TIMEOUT);
        if (r == null) {
            throw new IOException("no record acknowledged and read within " + EVENT_TIMEOUT + " after " + event);
        }
        return r;
    }

    private static TopicPartitionInfo partition0(Admin admin, String topic) throws Exception {
        TopicDescription d = admin.describeTopics(List.of(topic))
                .allTopicNames()
                .get(30, TimeUnit.SECONDS)
                .get(topic);
        return d.partitions().get(0);
    }

    /** The leader of partition 0, once there is one. */
    private static int leader(Admin admin, String topic) throws Exception {
        long deadline = System.nanoTime() + EVENT_TIMEOUT.toNanos();
        while (true) {
            TopicPartitionInfo p = partition0(admin, topic);
            if (p.leader() != null && !p.leader().isEmpty()) {
                return p.leader().id();
            }
            if (System.nanoTime() > deadline) {
                throw new IOException(topic + " has no leader after " + EVENT_TIMEOUT);
            }
            Thread.sleep(100);
        }
    }

    /** Waits until every replica of partition 0 is in its ISR; returns how many replicas it has. */
    private static int awaitFullIsr(Admin admin, String topic) throws Exception {
        long deadline = System.nanoTime() + EVENT_TIMEOUT.toNanos();
        while (true) {
            try {
                TopicPartitionInfo p = partition0(admin, topic);
                if (p.leader() != null && p.isr().size() == p.replicas().size()) {
                    return p.replicas().size();
                }
            } catch (ExecutionException | TimeoutException e) {
                // the topic is still being created
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the ISR of " + topic + " is not complete after " + EVENT_TIMEOUT);
            }
            Thread.sleep(100);
        }
    }

    private static void awaitIsr(Admin admin, String topic, int replicas) throws Exception {
        if (awaitFullIsr(admin, topic) != replicas) {
            throw new IOException(topic + " changed its replica count");
        }
    }

    /** The median of {@code values} in milliseconds; null for none. */
    static Double medianMs(List<Duration> values) {
        if (values.isEmpty()) {
            return null;
        }
        List<Long> sorted = values.stream().map(Duration::toMillis).sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? (double) sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    }

    private static <T> List<Long> millis(List<T> values, Function<T, Duration> duration) {
        return values.stream().map(v -> duration.apply(v).toMillis()).toList();
    }

    /** The side-by-side table: medians, and every single value in brackets. */
    static String table(int nodes, ClusterRun kafka, ClusterRun strata) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                Locale.ROOT,
                "%d-node clusters, RF=3, acks=all, min.insync.replicas=2; times are medians [each run]%n",
                nodes));
        out.append(String.format(
                Locale.ROOT, "%-32s %36s %36s %12s%n", "metric", "Apache Kafka", "Strata", "Strata/Kafka"));
        row(
                out,
                "produce MB/s (+)",
                produceValue(kafka, WorkloadResult::megabytesPerSecond),
                produceValue(strata, WorkloadResult::megabytesPerSecond),
                "%.2f",
                null,
                null);
        row(
                out,
                "produce p99 ms, unthrottled (-)",
                produceValue(kafka, r -> r.latency().p99Ms()),
                produceValue(strata, r -> r.latency().p99Ms()),
                "%.1f",
                null,
                null);
        row(
                out,
                "produce p99 ms, " + pacedRate(kafka, strata) + "/s (-)",
                pacedValue(kafka, r -> r.latency().p99Ms()),
                pacedValue(strata, r -> r.latency().p99Ms()),
                "%.1f",
                null,
                null);
        times(out, "failover: next ack ms (-)", kafka, strata, r -> recoveries(r.failovers(), true));
        times(out, "failover: next read ms (-)", kafka, strata, r -> recoveries(r.failovers(), false));
        times(out, "controlled shutdown ms (-)", kafka, strata, ClusterRun::shutdowns);
        times(out, "  during it: next ack ms (-)", kafka, strata, r -> recoveries(r.shutdownRecoveries(), true));
        times(out, "  during it: next read ms (-)", kafka, strata, r -> recoveries(r.shutdownRecoveries(), false));
        out.append(String.format(
                Locale.ROOT,
                "%-32s %36s %36s%n",
                "probe sends failed",
                kafka == null ? "-" : kafka.failedSends(),
                strata == null ? "-" : strata.failedSends()));
        out.append("(+) higher is better, (-) lower is better\n");
        for (ClusterRun r : new ClusterRun[] {kafka, strata}) {
            if (r != null && r.error() != null) {
                out.append(r.system()).append(" failed: ").append(r.error()).append('\n');
            }
        }
        return out.toString();
    }

    private static List<Duration> recoveries(List<FailoverProbe.Recovery> rs, boolean produce) {
        return rs.stream()
                .map(produce ? FailoverProbe.Recovery::produce : FailoverProbe.Recovery::consume)
                .toList();
    }

    private static Double produceValue(ClusterRun run, Function<WorkloadResult, Double> value) {
        return run == null || run.produce() == null ? null : value.apply(run.produce());
    }

    private static Double pacedValue(ClusterRun run, Function<WorkloadResult, Double> value) {
        return run == null || run.paced() == null ? null : value.apply(run.paced());
    }

    /** The records/s of the paced run, for its label. */
    private static String pacedRate(ClusterRun... runs) {
        for (ClusterRun r : runs) {
            if (r != null && r.paced() != null) {
                return Integer.toString(r.paced().spec().rate());
            }
        }
        return "paced";
    }

    private static void times(
            StringBuilder out,
            String label,
            ClusterRun kafka,
            ClusterRun strata,
            Function<ClusterRun, List<Duration>> f) {
        List<Duration> k = kafka == null ? List.of() : f.apply(kafka);
        List<Duration> s = strata == null ? List.of() : f.apply(strata);
        row(out, label, medianMs(k), medianMs(s), "%.0f", k, s);
    }

    private static void row(
            StringBuilder out,
            String label,
            Double kafka,
            Double strata,
            String format,
            List<Duration> kafkaEach,
            List<Duration> strataEach) {
        out.append(String.format(
                Locale.ROOT,
                "%-32s %36s %36s %12s%n",
                label,
                number(kafka, format) + each(kafkaEach),
                number(strata, format) + each(strataEach),
                kafka == null || strata == null || kafka == 0
                        ? "-"
                        : String.format(Locale.ROOT, "%.2f", strata / kafka)));
    }

    private static String each(List<Duration> values) {
        if (values == null || values.isEmpty()) {
            return "";
        }
        return values.stream().map(d -> Long.toString(d.toMillis())).collect(Collectors.joining(" ", " [", "]"));
    }

    private static String number(Double v, String format) {
        return v == null ? "-" : String.format(Locale.ROOT, format, v);
    }

    /** Where the cluster runs live: for the JSON. */
    static Map<String, Object> toJson(Map<String, ClusterRun> runs, Map<String, Path> dirs) {
        Map<String, Object> m = new LinkedHashMap<>();
        runs.forEach((name, run) -> {
            Map<String, Object> r = new LinkedHashMap<>(run.toJson());
            r.put("dir", dirs.get(name) == null ? null : dirs.get(name).toString());
            m.put(name, r);
        });
        return m;
    }
}
