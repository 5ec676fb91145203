package dev.strata.bench;

import picocli.CommandLine.Option;

/**
 * The data a tiered benchmark produces, tiers and replays ({@code bench tiered}, {@code bench dir-replay}): how many MB,
 * of what record size, over how many partitions. A picocli mixin; a command may change the values after parsing (its
 * {@code --quick}).
 */
final class ReplayDataOptions {

    @Option(
            names = "--tiered-mb",
            description = "MB of records to produce, tier and read back (default: ${DEFAULT-VALUE}).",
            defaultValue = "256")
    long tieredMb;

    @Option(
            names = "--record-size",
            description = "Value size in bytes (default: ${DEFAULT-VALUE}).",
            defaultValue = "1024")
    int recordSize;

    @Option(
            names = "--partitions",
            description = "Partitions of the topic (default: ${DEFAULT-VALUE}).",
            defaultValue = "3")
    int partitions;

    /** The remote-replay workload of these options. */
    WorkloadSpec spec() {
        return RemoteReplayRun.spec(recordSize, partitions, tieredMb);
    }
}
