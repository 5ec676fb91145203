package dev.strata.bench;

import java.util.Locale;

/** The end-to-end workloads the load driver runs against a bootstrap server. */
public enum Workload {
    /** Producers send as fast as allowed; throughput and send-to-ack latency. */
    PRODUCE,
    /** Fill a fresh topic, then read it from offset 0 with {@code assign()}; read throughput. */
    CONSUME,
    /** A paced producer and a consumer in the same process; producer timestamp to consumer receipt. */
    E2E,
    /** Read a pre-filled topic from offset 0 with catch-up fetch sizes; the historical-read throughput. */
    REPLAY,
    /**
     * Fill a fresh topic, tier it to the remote storage and drop it locally, then replay it from offset 0: the time
     * to offload and the throughput of reading history from the remote tier ({@link RemoteReplayRun}).
     */
    REMOTE_REPLAY;

    /** The name used on the command line and in the JSON: {@code remote-replay} for {@link #REMOTE_REPLAY}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Workload parse(String s) {
        return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    }
}
