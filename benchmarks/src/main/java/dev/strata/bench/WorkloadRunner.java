package dev.strata.bench;

import java.nio.file.Path;

/**
 * Runs one workload against a bootstrap server: makes its topic, fills it where the workload reads, measures, and
 * deletes the topic again. The only broker it talks to is the one given.
 */
public final class WorkloadRunner {
    private final String bootstrap;
    private final Path logDir;

    /** A runner of every workload but {@code remote-replay}, which needs to see the broker's log directory. */
    public WorkloadRunner(String bootstrap) {
        this(bootstrap, null);
    }

    /**
     * @param logDir the broker's log directory (it has one), for {@code remote-replay}; null if it is not on this
     *     machine
     */
    public WorkloadRunner(String bootstrap, Path logDir) {
        this.bootstrap = bootstrap;
        this.logDir = logDir;
    }

    public WorkloadResult run(WorkloadSpec spec) {
        System.err.printf(
                "%s: %s for up to %d s against %s%n",
                spec.workload().label(), describe(spec), spec.duration().toSeconds(), bootstrap);
        if (spec.workload() == Workload.REMOTE_REPLAY) {
            if (logDir == null) {
                throw new IllegalArgumentException(
                        "remote-replay needs the broker's log directory (--log-dir) to tell sealed segments from the"
                                + " active one");
            }
            return new RemoteReplayRun(bootstrap, logDir, spec).run();
        }
        if (spec.workload() == Workload.REPLAY && spec.topic() != null) {
            try (BenchTopic topic = BenchTopic.existing(bootstrap, spec.topic())) {
                return new ConsumeRun(bootstrap, topic, spec, true).run();
            }
        }
        try (BenchTopic topic = BenchTopic.create(bootstrap, spec)) {
            return switch (spec.workload()) {
                case PRODUCE -> new ProduceRun(bootstrap, topic.name(), spec, false).run();
                case CONSUME -> read(topic, spec, false);
                case REPLAY -> read(topic, spec, true);
                case E2E -> new EndToEndRun(bootstrap, topic, spec).run();
                case REMOTE_REPLAY -> throw new IllegalStateException("remote-replay makes its own topic");
            };
        }
    }

    private WorkloadResult read(BenchTopic topic, WorkloadSpec spec, boolean catchUp) {
        WorkloadResult fill = new ProduceRun(bootstrap, topic.name(), spec, false).run();
        System.err.printf(
                "%s: filled %s with %d records (%.1f MB) in %.1f s%n",
                spec.workload().label(), topic.name(), fill.records(), fill.bytes() / 1e6, fill.seconds());
        return new ConsumeRun(bootstrap, topic, spec, catchUp).run();
    }

    private static String describe(WorkloadSpec s) {
        return String.format(
                "%d B records, %d partitions, acks=%s, compression=%s, %d producer(s)%s",
                s.recordSize(),
                s.partitions(),
                s.acks(),
                s.compression(),
                s.producers(),
                s.effectiveRate() > 0 ? ", " + s.effectiveRate() + " records/s" : "");
    }
}
