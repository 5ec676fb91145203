package dev.strata.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How long a broker took to copy a topic's sealed segments to the remote tier.
 *
 * @param segments sealed segments copied, over all partitions
 * @param bytes their size on local disk (the {@code .log} files; indexes and snapshots are uploaded too)
 * @param seconds from turning {@code remote.storage.enable} on until ListOffsets latest-tiered reached the last
 *     offset of every partition's last sealed segment
 */
record Offload(int segments, long bytes, double seconds) {

    /** Upload throughput in MB/s (10^6 bytes per second). */
    double megabytesPerSecond() {
        return seconds > 0 ? bytes / seconds / 1_000_000.0 : 0;
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("segments", segments);
        m.put("bytes", bytes);
        m.put("seconds", seconds);
        m.put("mb_per_sec", megabytesPerSecond());
        return m;
    }
}
