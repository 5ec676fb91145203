package dev.strata.cli;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * {@code strata}: the command line for any Kafka-compatible broker, with what Strata adds on top (the tiers). Exit codes
 * a script can rely on: {@value #OK} success, {@value #FAILED} the operation failed (unreachable broker, unknown topic
 * or group, refused request), {@value #USAGE} a usage error (unknown command or flag, bad value).
 */
@Command(
        name = "strata",
        mixinStandardHelpOptions = true,
        versionProvider = StrataCli.Version.class,
        description = "Administer, produce to and consume from a Strata (or any Kafka) broker.",
        subcommands = {
            TopicsCommand.class,
            ProduceCommand.class,
            ConsumeCommand.class,
            GroupsCommand.class,
            TierCommand.class,
            CommandLine.HelpCommand.class
        })
public final class StrataCli {

    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;

    public static void main(String[] args) {
        PrintWriter out =
                new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)));
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        int code = commandLine(out, err).execute(args);
        out.flush();
        System.exit(code);
    }

    /** The command line writing to {@code out} and {@code err}, with Strata's exit codes and error messages. */
    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new StrataCli());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExitCodeExceptionMapper(e -> FAILED);
        cli.setParameterExceptionHandler((e, args) -> {
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println("strata: " + e.getMessage());
            cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
            return USAGE;
        });
        cli.setExecutionExceptionHandler(new Failure());
        return cli;
    }

    /** A failed operation: its message on stderr, exit code 1; a bug also shows its stack trace. */
    private static final class Failure implements IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
            cmd.getOut().flush();
            if (e instanceof CliException || e instanceof KafkaException) {
                // an operation that failed, or a client setting kafka-clients refused (--command-config)
                cmd.getErr().println("strata: " + e.getMessage());
            } else {
                cmd.getErr().println("strata: " + e);
                e.printStackTrace(cmd.getErr());
            }
            return FAILED;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = StrataCli.class.getPackage().getImplementationVersion();
            return new String[] {"strata " + (version == null ? "(development build)" : version)};
        }
    }
}
