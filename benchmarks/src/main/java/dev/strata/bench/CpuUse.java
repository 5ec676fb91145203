package dev.strata.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How many cores the processes of a {@code bench tiered} run kept busy, on average, over one of its phases: the broker,
 * S3Proxy and the bench itself (its clients, probe and proxies). On a machine of few cores they share, this says
 * whether a phase waited for the object store, for the broker or for the machine.
 *
 * @param seconds the phase's wall time
 * @param broker cores the broker used
 * @param s3proxy cores S3Proxy used
 * @param bench cores this JVM used
 */
record CpuUse(double seconds, double broker, double s3proxy, double bench) {

    /** The processes' CPU time counters at one instant; the broker's must be the same process at both ends. */
    record Reading(long nanos, Duration broker, Duration s3proxy, Duration bench) {
        static Reading now(StrataBroker broker, S3ProxyServer s3) {
            Duration own = ProcessHandle.current().info().totalCpuDuration().orElse(Duration.ZERO);
            return new Reading(System.nanoTime(), broker.cpuTime(), s3.cpuTime(), own);
        }

        /** The cores used from {@code start} to this reading. */
        CpuUse since(Reading start) {
            double seconds = (nanos - start.nanos) / 1e9;
            return new CpuUse(
                    seconds,
                    cores(broker.minus(start.broker), seconds),
                    cores(s3proxy.minus(start.s3proxy), seconds),
                    cores(bench.minus(start.bench), seconds));
        }

        private static double cores(Duration used, double seconds) {
            return seconds > 0 ? used.toNanos() / 1e9 / seconds : 0;
        }
    }

    /** {@code broker 1.03, S3Proxy 0.66, bench 0.24}. */
    String describe() {
        return String.format(Locale.ROOT, "broker %.2f, S3Proxy %.2f, bench %.2f", broker, s3proxy, bench);
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seconds", seconds);
        m.put("broker_cores", broker);
        m.put("s3proxy_cores", s3proxy);
        m.put("bench_cores", bench);
        return m;
    }
}
