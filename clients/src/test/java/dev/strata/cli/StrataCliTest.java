package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/** What the command line makes of its arguments: usage errors exit 2 with a message, before any broker is asked. */
class StrataCliTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return StrataCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true))
                .execute(args);
    }

    private static ParseResult parse(String... args) {
        return StrataCli.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()))
                .parseArgs(args);
    }

    @Test
    void anUnknownFlagIsAUsageErrorThatNamesIt() {
        assertThat(run("topics", "list", "--bogus")).isEqualTo(StrataCli.USAGE);
        assertThat(err.toString()).contains("strata: Unknown option: '--bogus'").contains("--help");
    }

    @Test
    void anUnknownCommandIsAUsageError() {
        assertThat(run("frobnicate")).isEqualTo(StrataCli.USAGE);
        assertThat(err.toString()).contains("frobnicate");
    }

    @Test
    void aMissingRequiredOptionIsAUsageError() {
        assertThat(run("produce")).isEqualTo(StrataCli.USAGE);
        assertThat(err.toString()).contains("--topic");
    }

    @Test
    void aGroupCommandWithoutSubcommandIsAUsageError() {
        assertThat(run("topics")).isEqualTo(StrataCli.USAGE);
        assertThat(err.toString()).contains("list, describe, create, delete or alter-config");
    }

    @Test
    void startPositionsExcludeEachOther() {
        assertThat(run("consume", "--topic", "t", "--from-beginning", "--offset", "5"))
                .isEqualTo(StrataCli.USAGE);
        assertThat(err.toString()).contains("mutually exclusive");
    }

    @Test
    void aBadTimeIsAUsageErrorBeforeConnecting() {
        assertThat(run("consume", "--topic", "t", "--from-time", "yesterday", "--bootstrap-server", "127.0.0.1:1"))
                .isEqualTo(StrataCli.USAGE);
        assertThat(err.toString()).contains("ISO-8601").contains("yesterday");
    }

    @Test
    void aBadFormatOrAcksIsAUsageError() {
        assertThat(run("consume", "--topic", "t", "--format", "xml")).isEqualTo(StrataCli.USAGE);
        assertThat(run("produce", "--topic", "t", "--acks", "2")).isEqualTo(StrataCli.USAGE);
        assertThat(run("produce", "--topic", "t", "--compression", "brotli")).isEqualTo(StrataCli.USAGE);
        assertThat(run("produce", "--topic", "t", "--json", "--key-separator", ":"))
                .isEqualTo(StrataCli.USAGE);
        assertThat(run("produce", "--topic", "t", "--header", "novalue")).isEqualTo(StrataCli.USAGE);
        assertThat(run("produce", "--topic", "t", "--acks", "1", "--idempotence"))
                .isEqualTo(StrataCli.USAGE);
    }

    @Test
    void groupsDoNotTakeAnOffsetOrPartition() {
        assertThat(run("consume", "--topic", "t", "--group", "g", "--offset", "3"))
                .isEqualTo(StrataCli.USAGE);
        assertThat(err.toString()).contains("--group");
    }

    @Test
    void resetOffsetsNeedsExactlyOneTargetAndOneScope() {
        assertThat(run("groups", "reset-offsets", "--group", "g", "--topic", "t"))
                .isEqualTo(StrataCli.USAGE);
        assertThat(run("groups", "reset-offsets", "--group", "g", "--to-earliest"))
                .isEqualTo(StrataCli.USAGE);
        assertThat(run("groups", "reset-offsets", "--group", "g", "--topic", "t", "--to-earliest", "--to-latest"))
                .isEqualTo(StrataCli.USAGE);
    }

    @Test
    void connectionOptionsHaveTheirDefaultsAndTakeValues() {
        ParseResult defaults = parse("topics", "list");
        ClientOptions d = clientOptions(defaults.subcommand().subcommand());
        assertThat(d.bootstrapServer).isEqualTo("127.0.0.1:9092");
        assertThat(d.timeoutMs).isEqualTo(15000);

        ParseResult given = parse("topics", "list", "--bootstrap-server", "10.0.0.1:9093", "--timeout-ms", "500");
        ClientOptions g = clientOptions(given.subcommand().subcommand());
        assertThat(g.bootstrapServer).isEqualTo("10.0.0.1:9093");
        assertThat(g.properties().getProperty("bootstrap.servers")).isEqualTo("10.0.0.1:9093");
        assertThat(g.properties().getProperty("default.api.timeout.ms")).isEqualTo("500");
    }

    @Test
    void theCommandConfigFileAddsClientSettingsAndTheCommandLineWins(@TempDir Path tmp) throws Exception {
        Path config = Files.writeString(
                tmp.resolve("client.properties"),
                "security.protocol=PLAINTEXT\nclient.id=ops\nbootstrap.servers=ignored:1\n");
        ClientOptions options = clientOptions(parse("topics", "list", "--command-config", config.toString())
                .subcommand()
                .subcommand());
        assertThat(options.properties())
                .containsEntry("security.protocol", "PLAINTEXT")
                .containsEntry("client.id", "ops")
                .containsEntry("bootstrap.servers", "127.0.0.1:9092");
    }

    @Test
    void aMissingCommandConfigFileFailsWithExitCodeOne() {
        assertThat(run("topics", "list", "--command-config", "/nonexistent/client.properties"))
                .isEqualTo(1);
        assertThat(err.toString()).startsWith("strata: cannot read --command-config /nonexistent/client.properties");
    }

    @Test
    void consumeParsesItsOptions() {
        ParseResult parsed = parse(
                "consume",
                "--topic",
                "t",
                "--from-time",
                "2026-12-05T08:00:00Z",
                "--max-messages",
                "10",
                "--format",
                "json",
                "--progress");
        ConsumeCommand c = (ConsumeCommand) parsed.subcommand().commandSpec().userObject();
        assertThat(c.topic).isEqualTo("t");
        assertThat(c.start.fromTime).isEqualTo("2026-12-05T08:00:00Z");
        assertThat(c.maxMessages).isEqualTo(10L);
        assertThat(c.format).isEqualTo("json");
        assertThat(c.progress).isTrue();
        assertThat(ConsumeCommand.parseTime("2026-12-05T08:00:00Z")).isEqualTo(1796457600000L);
        assertThat(ConsumeCommand.parseTime("2026-12-05T09:00:00+01:00")).isEqualTo(1796457600000L);
    }

    @Test
    void tierStatusDefaultsToTheSampleMetricsListener() {
        ParseResult parsed = parse("tier", "status", "--topic", "t");
        TierClient tiers = parsed.subcommand().subcommand().commandSpec().mixins().values().stream()
                .map(m -> m.userObject())
                .filter(TierClient.class::isInstance)
                .map(TierClient.class::cast)
                .findFirst()
                .orElseThrow();
        assertThat(tiers.baseUrl).isEqualTo("http://127.0.0.1:9404");
    }

    @Test
    void helpAndVersionExitZero() {
        assertThat(run("--help")).isEqualTo(StrataCli.OK);
        assertThat(out.toString())
                .contains("topics")
                .contains("produce")
                .contains("consume")
                .contains("groups")
                .contains("tier");
        assertThat(run("consume", "--help")).isEqualTo(StrataCli.OK);
        assertThat(run("--version")).isEqualTo(StrataCli.OK);
    }

    private static ClientOptions clientOptions(ParseResult leaf) {
        return leaf.commandSpec().mixins().values().stream()
                .map(CommandLine.Model.CommandSpec::userObject)
                .filter(ClientOptions.class::isInstance)
                .map(ClientOptions.class::cast)
                .findFirst()
                .orElseThrow();
    }
}
