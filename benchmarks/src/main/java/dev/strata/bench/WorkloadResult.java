package dev.strata.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one workload run measured.
 *
 * @param spec what was run
 * @param topic the topic it used
 * @param records records acknowledged (produce) or received (consume, replay, e2e)
 * @param bytes value and key bytes of those records
 * @param seconds the measured interval
 * @param errors failed sends
 * @param latency send-to-ack (produce) or producer-to-consumer (e2e) latency; null for reads
 * @param offload the copy to the remote tier before the read (remote-replay); null otherwise
 */
public record WorkloadResult(
        WorkloadSpec spec,
        String topic,
        long records,
        long bytes,
        double seconds,
        long errors,
        Percentiles latency,
        Offload offload) {

    /** A result without an offload. */
    public WorkloadResult(
            WorkloadSpec spec,
            String topic,
            long records,
            long bytes,
            double seconds,
            long errors,
            Percentiles latency) {
        this(spec, topic, records, bytes, seconds, errors, latency, null);
    }

    WorkloadResult withOffload(Offload o) {
        return new WorkloadResult(spec, topic, records, bytes, seconds, errors, latency, o);
    }

    public double recordsPerSecond() {
        return seconds > 0 ? records / seconds : 0;
    }

    /** Throughput in MB/s (10^6 bytes per second, as Kafka's perf tools report it). */
    public double megabytesPerSecond() {
        return seconds > 0 ? bytes / seconds / 1_000_000.0 : 0;
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("workload", spec.workload().label());
        m.put("topic", topic);
        m.put("records", records);
        m.put("bytes", bytes);
        m.put("seconds", seconds);
        m.put("records_per_sec", recordsPerSecond());
        m.put("mb_per_sec", megabytesPerSecond());
        m.put("errors", errors);
        m.put("latency", latency == null ? null : latency.toJson());
        if (offload != null) {
            m.put("offload", offload.toJson());
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("record_size", spec.recordSize());
        s.put("partitions", spec.partitions());
        s.put("acks", spec.acks());
        s.put("compression", spec.compression());
        s.put("producers", spec.producers());
        s.put("duration_ms", spec.duration().toMillis());
        s.put("records_limit", spec.records());
        s.put("linger_ms", spec.lingerMs());
        s.put("batch_size", spec.batchSize());
        s.put("rate", spec.effectiveRate());
        s.put("topic_configs", spec.topicConfigs());
        m.put("spec", s);
        return m;
    }
}
