package dev.strata.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The phases of {@link TxnBench} against one running broker, in order: warm-up, idempotent produce, transactional
 * produce, read_committed read from local disk, and with the remote tier the offload and a read_committed read from
 * it. Each phase's result goes into the caller's map as soon as it is measured, so a failure later keeps the figures
 * before it.
 */
final class TxnPhases {
    private final String bootstrap;
    private final Path logDir;
    private final WorkloadSpec produce;
    private final int recordsPerTxn;
    private final boolean remote;

    /**
     * @param logDir the broker's log directory, which tells the offload which segments are sealed
     * @param produce the produce phases' spec
     * @param remote whether the broker tiers and the remote phase runs
     */
    TxnPhases(String bootstrap, Path logDir, WorkloadSpec produce, int recordsPerTxn, boolean remote) {
        this.bootstrap = bootstrap;
        this.logDir = logDir;
        this.produce = produce;
        this.recordsPerTxn = recordsPerTxn;
        this.remote = remote;
    }

    void run(Duration warmup, Map<TxnBench.Phase, WorkloadResult> results) {
        WorkloadRunner runner = new WorkloadRunner(bootstrap);
        if (!warmup.isZero()) {
            System.err.println("warming up for " + warmup.toMillis() / 1000.0 + " s (not measured)");
            runner.run(produce.withRecords(0).withDuration(warmup));
        }
        results.put(TxnBench.Phase.IDEMPOTENT_PRODUCE, runner.run(produce));
        // reads are bounded by a generous limit, not by the produce duration: they read what was committed
        WorkloadSpec read = produce.withWorkload(Workload.REPLAY).withDuration(RemoteReplayRun.PHASE_LIMIT);
        // with the remote tier, the topic has 1 MiB segments and local.retention.bytes=1 from the start, not tiered
        RemoteReplayRun tiering = new RemoteReplayRun(bootstrap, logDir, produce.withWorkload(Workload.REMOTE_REPLAY));
        try (BenchTopic topic = remote ? tiering.createTopic() : BenchTopic.create(bootstrap, produce)) {
            System.err.printf(
                    "transactional produce: %d records per transaction, %d B records, for up to %d s into %s%n",
                    recordsPerTxn, produce.recordSize(), produce.duration().toSeconds(), topic.name());
            WorkloadResult txn = new TxnProduceRun(bootstrap, topic.name(), produce, recordsPerTxn).run();
            results.put(TxnBench.Phase.TRANSACTIONAL_PRODUCE, txn);
            System.err.printf(
                    "transactional produce: %d records in %.1f s, commit p50 %.2f ms, p99 %.2f ms%n",
                    txn.records(),
                    txn.seconds(),
                    txn.latency().p50Ms(),
                    txn.latency().p99Ms());
            results.put(TxnBench.Phase.READ_COMMITTED_LOCAL, new ConsumeRun(bootstrap, topic, read, true, true).run());
            if (remote) {
                Offload offload = tiering.offload(topic);
                WorkloadResult fromRemote = new ConsumeRun(bootstrap, topic, read, true, true).run();
                results.put(TxnBench.Phase.READ_COMMITTED_REMOTE, fromRemote.withOffload(offload));
            }
        }
    }
}
