package dev.strata.bench;

import java.nio.file.Path;
import java.time.Instant;
import picocli.CommandLine.Option;

/**
 * The options of a run with a Strata broker tiering to S3Proxy, each in a child JVM ({@code bench tiered}, {@code bench
 * soak}): where their classpaths, data and results are. A picocli mixin.
 */
final class TieredRunOptions {

    @Option(
            names = "--s3proxy-classpath",
            description = "S3Proxy's classpath file (default: benchmarks/target/s3proxy-classpath.txt).")
    private Path s3proxyClasspath;

    @Option(names = "--strata-classpath", description = "Classpath of the Strata broker (default: this JVM's).")
    private String strataClasspath;

    @Option(names = "--results-dir", description = "Where the run's directory goes (default: benchmarks/results).")
    private Path resultsDir;

    @Option(names = "--work-dir", description = "Data and logs of the broker and S3Proxy (default: temp directory).")
    private Path workDir;

    Path s3proxyClasspathFile() {
        return Compare.classpathFile(s3proxyClasspath, S3ProxyServer.DEFAULT_CLASSPATH_FILE);
    }

    String strataClasspath() {
        return strataClasspath != null ? strataClasspath : System.getProperty("java.class.path");
    }

    /** The directory of a run that started at {@code started}. */
    Path resultsDir(Instant started) {
        return (resultsDir != null ? resultsDir : Compare.defaultResultsDir())
                .resolve(LoadDriver.STAMP.format(started));
    }

    Path workDir() {
        return workDir != null ? workDir : Path.of(System.getProperty("java.io.tmpdir"), "strata-bench");
    }
}
