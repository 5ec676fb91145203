package dev.strata.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code strata tier status}: what each partition keeps on local disk and in the remote tier, and whether uploads keep
 * up, read from the broker's {@code /api/v1/tiers} endpoint (Kafka's protocol cannot tell remote bytes).
 */
@Command(
        name = "tier",
        description = "The remote tier of a Strata broker.",
        mixinStandardHelpOptions = true,
        subcommands = {picocli.CommandLine.HelpCommand.class})
final class TierCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a subcommand is needed: status (or scrub, see bin/strata)");
    }

    @Command(
            name = "status",
            description = "Per partition: local bytes, remote bytes and segments, upload lag, last copy and copy"
                    + " errors; a total per topic and for the broker.")
    int status(
            @Mixin TierClient tiers,
            @Option(names = "--topic", paramLabel = "TOPIC", description = "one topic (default: every topic)")
                    String topic,
            @Option(names = "--json", description = "print the broker's JSON document as is") boolean json,
            @Option(
                            names = "--include-internal",
                            description = "also list internal topics (__consumer_offsets; always in the broker total)")
                    boolean internal,
            @Option(
                            names = "--timeout-ms",
                            paramLabel = "MS",
                            defaultValue = "10000",
                            description = "default: ${DEFAULT-VALUE}")
                    int timeoutMs) {
        Map<String, Object> doc = tiers.status(topic, Duration.ofMillis(timeoutMs));
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(doc));
        } else {
            print(doc, out, internal || topic != null);
        }
        return StrataCli.OK;
    }

    /**
     * The status document as tables: one per topic with its total line, then the broker's total (which counts every
     * topic, internal ones too).
     */
    @SuppressWarnings("unchecked")
    static void print(Map<String, Object> doc, PrintWriter out, boolean internal) {
        List<Map<String, Object>> topics = (List<Map<String, Object>>) doc.getOrDefault("topics", List.of());
        for (Map<String, Object> t : topics) {
            String name = String.valueOf(t.get("topic"));
            if (!internal && name.startsWith("__")) {
                continue;
            }
            Text.Table table = new Text.Table(
                    "PARTITION",
                    "ROLE",
                    "LOCAL",
                    "REMOTE",
                    "SEGMENTS",
                    "UPLOAD-LAG",
                    "LAG-SEGMENTS",
                    "LAST-COPY",
                    "FAILED-COPIES");
            List<Map<String, Object>> partitions = TierClient.partitions(doc, name);
            for (Map<String, Object> p : partitions) {
                table.row(
                        TierClient.number(p, "partition"),
                        Boolean.TRUE.equals(p.get("leader")) ? "leader" : "follower",
                        Text.bytes(TierClient.number(p, "localBytes")),
                        Text.bytes(TierClient.number(p, "remoteBytes")),
                        TierClient.number(p, "remoteSegments"),
                        Text.bytes(TierClient.number(p, "copyLagBytes")),
                        TierClient.number(p, "copyLagSegments"),
                        Text.time(TierClient.number(p, "lastCopyTimeMs")),
                        TierClient.number(p, "failedCopies"));
            }
            out.println("Topic: " + name
                    + (Boolean.TRUE.equals(t.get("remoteStorageEnabled")) ? "  (tiered)" : "  (not tiered)"));
            table.print(out);
            for (Map<String, Object> p : partitions) {
                Object error = p.get("lastCopyError");
                if (error != null) {
                    out.println("  partition " + TierClient.number(p, "partition") + ": last copy error at "
                            + Text.time(TierClient.number(p, "lastCopyErrorTimeMs")) + ": " + error);
                }
            }
            out.println(totalLine(name, (Map<String, Object>) t.get("total")));
            out.println();
        }
        out.println(totalLine("broker " + TierClient.number(doc, "brokerId"), (Map<String, Object>) doc.get("total")));
    }

    /** One line that sums up a topic or the broker. */
    static String totalLine(String what, Map<String, Object> total) {
        if (total == null) {
            return "Total " + what + ": -";
        }
        return String.format(
                Locale.ROOT,
                "Total %s: %d partitions, local %s, remote %s in %d segments, upload lag %s in %d segments,"
                        + " %d failed copies",
                what,
                TierClient.number(total, "partitions"),
                Text.bytes(TierClient.number(total, "localBytes")),
                Text.bytes(TierClient.number(total, "remoteBytes")),
                TierClient.number(total, "remoteSegments"),
                Text.bytes(TierClient.number(total, "copyLagBytes")),
                TierClient.number(total, "copyLagSegments"),
                TierClient.number(total, "failedCopies"));
    }
}
