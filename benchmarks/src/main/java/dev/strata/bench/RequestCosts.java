package dev.strata.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The object-store requests a broker made per GiB it stored and per GiB it replayed, counted by a
 * {@link LatencyProxy} between the broker and the store, and what they cost at AWS S3 Standard's list price
 * (us-east-1: PUT, COPY, POST and LIST $0.005 per 1,000; GET and other requests $0.0004 per 1,000; DELETE free;
 * storage $0.023 per GB-month), beside the same figures computed for the layout of one object per segment file.
 *
 * <p>That layout is what Apache Kafka's {@code RemoteStorageManager} interface hands a plugin: per segment the log,
 * the offset index, the time index, the producer snapshot, the leader-epoch checkpoint and, when the segment has one,
 * the transaction index; a plugin that stores each file as an object makes 5 or 6 PUTs per segment (Kafka's own
 * {@code LocalTieredStorage} keeps one file each). Replaying a segment reads the log (at least one GET) and, through
 * Kafka's {@code RemoteIndexCache}, the offset, time and transaction indexes (three GETs, the last a 404 when the
 * segment has none). Its metadata goes to the {@code __remote_log_metadata} topic, not to the store. Those figures are
 * computed from the segment count, not measured.
 *
 * @param upload the requests while the broker copied the segments
 * @param replay the requests while one consumer replayed them from the remote tier
 * @param segments segments copied
 * @param bytes their log bytes (what is stored, and what a replay reads)
 */
record RequestCosts(S3RequestCounter.Counts upload, S3RequestCounter.Counts replay, int segments, long bytes) {
    static final double PUT_PER_REQUEST = 0.005 / 1000;
    static final double GET_PER_REQUEST = 0.0004 / 1000;
    static final double STORAGE_PER_GB_MONTH = 0.023;
    /** Files per segment in the one-object-per-file layout, without a transaction index. */
    static final int FILES_PER_SEGMENT = 5;
    /** GETs per replayed segment in that layout, at the least: the log, then three indexes. */
    static final int GETS_PER_REPLAYED_SEGMENT = 4;

    private static final double GIB = 1L << 30;

    /** How many GiB {@code bytes} is, the factor from per-run counts to per-GiB ones. */
    private double gib() {
        return bytes / GIB;
    }

    double putsPerGib() {
        return upload.puts() / gib();
    }

    double listsPerGib() {
        return (upload.of(S3RequestCounter.Kind.LIST) + replay.of(S3RequestCounter.Kind.LIST)) / gib();
    }

    double getsPerGibReplayed() {
        return replay.getPriced() / gib();
    }

    double deletesPerGib() {
        return (upload.deletes() + replay.deletes()) / gib();
    }

    /** Request cost of storing a GiB: the PUT-priced and GET-priced requests of the upload. */
    double uploadDollarsPerGib() {
        return (upload.putPriced() * PUT_PER_REQUEST + upload.getPriced() * GET_PER_REQUEST) / gib();
    }

    double replayDollarsPerGib() {
        return (replay.putPriced() * PUT_PER_REQUEST + replay.getPriced() * GET_PER_REQUEST) / gib();
    }

    double perFilePutsPerGib() {
        return (double) segments * FILES_PER_SEGMENT / gib();
    }

    double perFileGetsPerGibReplayed() {
        return (double) segments * GETS_PER_REPLAYED_SEGMENT / gib();
    }

    String table() {
        StringBuilder t = new StringBuilder();
        t.append(String.format(
                Locale.ROOT, "%-40s %14s %14s%n", "object-store requests per GiB", "Strata", "1 obj/file*"));
        row(t, "PUTs per GiB stored", putsPerGib(), perFilePutsPerGib());
        row(t, "GETs per GiB replayed", getsPerGibReplayed(), perFileGetsPerGibReplayed());
        row(t, "LISTs per GiB", listsPerGib(), Double.NaN);
        row(t, "DELETEs per GiB (free)", deletesPerGib(), Double.NaN);
        row(t, "$ requests to store a GiB", uploadDollarsPerGib(), perFilePutsPerGib() * PUT_PER_REQUEST);
        row(t, "$ requests to replay a GiB", replayDollarsPerGib(), perFileGetsPerGibReplayed() * GET_PER_REQUEST);
        row(t, "$ storage per GiB-month", STORAGE_PER_GB_MONTH, STORAGE_PER_GB_MONTH);
        t.append(String.format(
                Locale.ROOT,
                "* computed, not measured: %d segments x %d objects, and >= %d GETs per segment replayed%n",
                segments,
                FILES_PER_SEGMENT,
                GETS_PER_REPLAYED_SEGMENT));
        return t.toString();
    }

    private static void row(StringBuilder t, String label, double strata, double perFile) {
        String format = strata < 1 ? "%14.5f" : "%14.1f";
        t.append(String.format(Locale.ROOT, "%-40s " + format, label, strata));
        t.append(
                Double.isNaN(perFile)
                        ? String.format(Locale.ROOT, " %14s%n", "-")
                        : String.format(Locale.ROOT, " " + format + "%n", perFile));
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("segments", segments);
        m.put("log_bytes", bytes);
        m.put("upload_requests", upload.toJson());
        m.put("replay_requests", replay.toJson());
        m.put("puts_per_gib_stored", putsPerGib());
        m.put("gets_per_gib_replayed", getsPerGibReplayed());
        m.put("lists_per_gib", listsPerGib());
        m.put("deletes_per_gib", deletesPerGib());
        m.put("usd_requests_per_gib_stored", uploadDollarsPerGib());
        m.put("usd_requests_per_gib_replayed", replayDollarsPerGib());
        m.put("usd_storage_per_gib_month", STORAGE_PER_GB_MONTH);
        Map<String, Object> perFile = new LinkedHashMap<>();
        perFile.put("computed", true);
        perFile.put("puts_per_gib_stored", perFilePutsPerGib());
        perFile.put("gets_per_gib_replayed_at_least", perFileGetsPerGibReplayed());
        perFile.put("usd_requests_per_gib_stored", perFilePutsPerGib() * PUT_PER_REQUEST);
        perFile.put("usd_requests_per_gib_replayed_at_least", perFileGetsPerGibReplayed() * GET_PER_REQUEST);
        m.put("one_object_per_file_layout", perFile);
        return m;
    }
}
