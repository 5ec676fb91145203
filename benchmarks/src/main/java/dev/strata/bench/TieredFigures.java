package dev.strata.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code bench tiered} measured, step by step (a step that did not run is null), and its table: each Strata figure
 * beside S3Proxy's ceiling in the same run and their ratio, against issue #14's targets.
 */
final class TieredFigures {
    /** Remote replay at least this share of the GET ceiling; and with latency, of the replay without. */
    static final double REPLAY_TARGET = 0.5;
    /** Upload at least this share of the PUT ceiling. */
    static final double UPLOAD_TARGET = 0.7;
    /** Produce p99 during the upload at most this multiple of produce p99 with tiering idle. */
    static final double PRODUCE_P99_TARGET = 1.2;

    /** The figures of the remote tier under one setting of the proxy. */
    static final class Remote {
        WorkloadResult replay;
        /** The median of {@link #getCeilingRounds}. */
        ObjectStoreCeiling.Transfer getCeiling;

        List<ObjectStoreCeiling.Transfer> getCeilingRounds = List.of();
        /** With latency only: the upload of a second topic, and the PUT ceiling (median of its rounds) beside it. */
        Offload upload;

        ObjectStoreCeiling.Transfer putCeiling;
        List<ObjectStoreCeiling.Transfer> putCeilingRounds = List.of();
        WorkloadResult parallelReplay;
        List<ColdFetchRun.Sample> coldFetches = List.of();

        Map<String, Object> toJson() {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("remote_replay", replay == null ? null : replay.toJson());
            m.put("get_ceiling", getCeiling == null ? null : getCeiling.toJson());
            m.put("get_ceiling_rounds", ObjectStoreCeiling.Transfer.toJson(getCeilingRounds));
            m.put("upload", upload == null ? null : upload.toJson());
            m.put("put_ceiling", putCeiling == null ? null : putCeiling.toJson());
            m.put("put_ceiling_rounds", ObjectStoreCeiling.Transfer.toJson(putCeilingRounds));
            m.put("parallel_replay", parallelReplay == null ? null : parallelReplay.toJson());
            m.put("cold_fetch_mid_segment", ColdFetchRun.toJson(coldFetches));
            return m;
        }
    }

    WorkloadResult fill;
    WorkloadResult localReplay;
    Offload offload;
    int probeRate;
    WorkloadResult probeAlone;
    WorkloadResult probeDuringUpload;
    /** The median of {@link #putCeilingRounds}. */
    ObjectStoreCeiling.Transfer putCeiling;

    List<ObjectStoreCeiling.Transfer> putCeilingRounds = List.of();
    int putStreams;
    /** S3Proxy's warm-up rounds, before anything is measured. */
    List<ObjectStoreCeiling.Transfer> putWarmUp = List.of();
    /** The plain reader's unmeasured GETs of the warm-up topic's logs, before anything is measured; null if none. */
    ObjectStoreCeiling.Transfer getWarmUp;
    /** The cores each process used during the upload, and during the PUT ceiling. */
    CpuUse uploadCpu;

    CpuUse ceilingCpu;
    int consumers;
    RequestCosts costs;
    final Remote plain = new Remote();
    final Remote shaped = new Remote();
    /** The latency and cap of {@link #shaped}, or null when none was injected. */
    String shapedLabel;

    void toJson(Map<String, Object> json) {
        json.put("fill", fill == null ? null : fill.toJson());
        json.put("local_replay", localReplay == null ? null : localReplay.toJson());
        json.put("offload", offload == null ? null : offload.toJson());
        json.put("produce_probe_alone", probeAlone == null ? null : probeAlone.toJson());
        json.put("produce_probe_during_upload", probeDuringUpload == null ? null : probeDuringUpload.toJson());
        json.put("put_ceiling", putCeiling == null ? null : putCeiling.toJson());
        json.put("put_ceiling_rounds", ObjectStoreCeiling.Transfer.toJson(putCeilingRounds));
        json.put("put_ceiling_streams", putStreams);
        json.put("put_warm_up_rounds", ObjectStoreCeiling.Transfer.toJson(putWarmUp));
        json.put("get_warm_up", getWarmUp == null ? null : getWarmUp.toJson());
        json.put("upload_cpu", uploadCpu == null ? null : uploadCpu.toJson());
        json.put("put_ceiling_cpu", ceilingCpu == null ? null : ceilingCpu.toJson());
        json.put("no_latency", plain.toJson());
        json.put("injected", shapedLabel);
        json.put("with_latency", shapedLabel == null ? null : shaped.toJson());
        json.put("requests", costs == null ? null : costs.toJson());
    }

    String table(String title, String error) {
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "%-52s %14s%n", title, "value"));
        if (fill != null) {
            row(t, "produce (fill, not tiered) MB/s", fill.megabytesPerSecond());
        }
        if (localReplay != null) {
            row(t, "replay from local disk MB/s", localReplay.megabytesPerSecond());
        }
        uploadRows(t, "", offload, putStreams + " writers, median", putCeiling, putCeilingRounds);
        if (uploadCpu != null) {
            text(t, "  cores used during the upload", uploadCpu.describe());
        }
        if (ceilingCpu != null) {
            text(t, "  cores used during the PUT ceiling", ceilingCpu.describe());
        }
        if (!putWarmUp.isEmpty()) {
            text(t, "  S3Proxy PUT warm-up rounds MB/s", rates(putWarmUp));
        }
        if (probeAlone != null && probeDuringUpload != null) {
            probe(t, "produce at " + probeRate + " rec/s, tiering idle", probeAlone);
            probe(t, "  the same during the upload", probeDuringUpload);
            double r = probeAlone.latency().p99Ms() > 0
                    ? probeDuringUpload.latency().p99Ms() / probeAlone.latency().p99Ms()
                    : 0;
            t.append(String.format(
                    Locale.ROOT,
                    "%-52s %14.2f  (target <= %.1f: %s)%n",
                    "  produce p99, during upload / idle",
                    r,
                    PRODUCE_P99_TARGET,
                    r <= PRODUCE_P99_TARGET ? "met" : "not met"));
        }
        if (getWarmUp != null) {
            row(t, "S3Proxy GET warm-up MB/s (1 reader, not measured)", getWarmUp.megabytesPerSecond());
        }
        remote(t, plain, "", consumers);
        if (shapedLabel != null) {
            t.append("with ").append(shapedLabel).append(":\n");
            remote(t, shaped, "  ", consumers);
            if (plain.replay != null && shaped.replay != null) {
                ratio(
                        t,
                        "  remote replay, with / without latency",
                        shaped.replay.megabytesPerSecond(),
                        plain.replay.megabytesPerSecond(),
                        REPLAY_TARGET);
            }
            if (plain.parallelReplay != null && shaped.parallelReplay != null) {
                ratio(
                        t,
                        "  " + consumers + "-consumer replay, with / without latency",
                        shaped.parallelReplay.megabytesPerSecond(),
                        plain.parallelReplay.megabytesPerSecond(),
                        Double.NaN);
            }
        }
        if (costs != null) {
            t.append(costs.table());
        }
        if (error != null) {
            t.append("failed: ").append(error).append('\n');
        }
        return t.toString();
    }

    /** The rates of {@code transfers}, in MB/s: {@code 47, 97, 135}. */
    static String rates(List<ObjectStoreCeiling.Transfer> transfers) {
        return String.join(
                ", ",
                transfers.stream()
                        .map(x -> String.format(Locale.ROOT, "%.0f", x.megabytesPerSecond()))
                        .toList());
    }

    private static void text(StringBuilder t, String label, String value) {
        t.append(String.format(Locale.ROOT, "%-52s %s%n", label, value));
    }

    private static void remote(StringBuilder t, Remote r, String indent, int consumers) {
        if (r.replay != null) {
            row(t, indent + "replay from the remote tier MB/s (1 consumer)", r.replay.megabytesPerSecond());
        }
        if (r.getCeiling != null) {
            row(t, indent + "  S3Proxy ranged-GET ceiling MB/s (1 reader, median)", r.getCeiling.megabytesPerSecond());
            text(t, indent + "    its rounds MB/s", rates(r.getCeilingRounds));
            if (r.replay != null) {
                ratio(
                        t,
                        indent + "  remote replay / GET ceiling",
                        r.replay.megabytesPerSecond(),
                        r.getCeiling.megabytesPerSecond(),
                        REPLAY_TARGET);
            }
        }
        if (r.parallelReplay != null) {
            row(
                    t,
                    indent + "replay, " + consumers + " consumers at once, aggregate MB/s",
                    r.parallelReplay.megabytesPerSecond());
        }
        if (!r.coldFetches.isEmpty()) {
            t.append(String.format(
                    Locale.ROOT,
                    "%-52s %14s%n",
                    indent + "cold fetch mid-segment p50/p99/max",
                    ColdFetchRun.summary(r.coldFetches)));
        }
        uploadRows(t, indent, r.upload, "median", r.putCeiling, r.putCeilingRounds);
    }

    /** An upload's rate and, where measured, the PUT ceiling beside it (median, rounds, ratio); nothing without one. */
    private static void uploadRows(
            StringBuilder t,
            String indent,
            Offload upload,
            String ceilingLabel,
            ObjectStoreCeiling.Transfer ceiling,
            List<ObjectStoreCeiling.Transfer> rounds) {
        if (upload == null) {
            return;
        }
        row(t, indent + "upload MB/s (" + upload.segments() + " segments)", upload.megabytesPerSecond());
        if (ceiling != null) {
            row(t, indent + "  S3Proxy PUT ceiling MB/s (" + ceilingLabel + ")", ceiling.megabytesPerSecond());
            text(t, indent + "    its rounds MB/s", rates(rounds));
            ratio(
                    t,
                    indent + "  upload / PUT ceiling",
                    upload.megabytesPerSecond(),
                    ceiling.megabytesPerSecond(),
                    UPLOAD_TARGET);
        }
    }

    private static void probe(StringBuilder t, String label, WorkloadResult r) {
        t.append(String.format(
                Locale.ROOT,
                "%-52s %14s%n",
                label + " p50/p99 ms",
                String.format(
                        Locale.ROOT,
                        "%.1f / %.1f",
                        r.latency().p50Ms(),
                        r.latency().p99Ms())));
    }

    private static void row(StringBuilder t, String label, double value) {
        t.append(String.format(Locale.ROOT, value >= 1000 ? "%-52s %14.0f%n" : "%-52s %14.2f%n", label, value));
    }

    private static void ratio(StringBuilder t, String label, double value, double of, double target) {
        double r = of > 0 ? value / of : 0;
        t.append(String.format(Locale.ROOT, "%-52s %14.2f", label, r));
        if (!Double.isNaN(target)) {
            t.append(String.format(Locale.ROOT, "  (target >= %.1f: %s)", target, r >= target ? "met" : "not met"));
        }
        t.append('\n');
    }
}
