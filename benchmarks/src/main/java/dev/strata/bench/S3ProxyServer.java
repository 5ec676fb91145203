package dev.strata.bench;

import dev.strata.testing.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * S3Proxy 4.1 as the object store of the tiered workloads: a child JVM ({@code org.gaul.s3proxy.Main}) on a free
 * loopback port, AWS V2/V4 signatures checked against one key pair, over jclouds' filesystem blob store in
 * {@code dir/data} (deleted on {@link #close()}). Its classpath comes from the file {@code s3proxy/pom.xml} writes
 * ({@code benchmarks/target/s3proxy-classpath.txt}), so that S3Proxy's Jetty and jclouds stay out of the brokers' and
 * the driver's JVMs. It logs at WARN: at its default level it logs request bodies.
 */
final class S3ProxyServer implements AutoCloseable {
    /** The classpath file's place relative to the repository root. */
    static final Path DEFAULT_CLASSPATH_FILE = Path.of("benchmarks", "target", "s3proxy-classpath.txt");

    static final String ACCESS_KEY = "strata-bench-access";
    static final String SECRET_KEY = "strata-bench-secret-0123456789";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final ChildProcess.Launch launch;
    private final int port;
    private ChildProcess process;

    private S3ProxyServer(ChildProcess.Launch launch, int port, ChildProcess process) {
        this.launch = launch;
        this.port = port;
        this.process = process;
    }

    /** Starts S3Proxy in a new directory under {@code parent}. */
    static S3ProxyServer start(Path classpathFile, Path parent) throws IOException, InterruptedException {
        String classpath = ChildProcess.readClasspath(
                classpathFile,
                "mvn -B -q -f benchmarks/s3proxy/pom.xml"
                        + " -Ds3proxy.classpath.file=$PWD/benchmarks/target/s3proxy-classpath.txt validate");
        Files.createDirectories(parent);
        Path dir = Files.createTempDirectory(parent, "s3proxy-");
        Path store = dir.resolve("data");
        Files.createDirectories(store);
        int port = Ports.free();
        Path properties = dir.resolve("s3proxy.properties");
        Files.writeString(
                properties,
                "# written by dev.strata.bench.S3ProxyServer\n"
                        + "s3proxy.endpoint=http://" + ChildProcess.HOST + ":" + port + "\n"
                        + "s3proxy.authorization=aws-v2-or-v4\n"
                        + "s3proxy.identity=" + ACCESS_KEY + "\n"
                        + "s3proxy.credential=" + SECRET_KEY + "\n"
                        + "jclouds.provider=filesystem\n"
                        + "jclouds.identity=" + ACCESS_KEY + "\n"
                        + "jclouds.credential=" + SECRET_KEY + "\n"
                        + "jclouds.filesystem.basedir=" + store + "\n");
        Path logback = dir.resolve("logback.xml");
        Files.writeString(logback, LOGBACK);
        ChildProcess.Launch launch = new ChildProcess.Launch(
                "S3Proxy",
                dir,
                classpath,
                List.of("-Xms256m", "-Xmx512m", "-Dlogback.configurationFile=" + logback),
                "org.gaul.s3proxy.Main",
                List.of("--properties", properties.toString()),
                "s3proxy.log");
        return new S3ProxyServer(launch, port, ChildProcess.startServer(launch, port, START_TIMEOUT));
    }

    /** Kills S3Proxy, keeping its blobs: an outage of the store, until {@link #restart()}. */
    void kill() {
        process.kill();
    }

    /** Serves again on the same port, over the same blobs. */
    void restart() throws IOException, InterruptedException {
        process = ChildProcess.startServer(launch, port, START_TIMEOUT);
    }

    /**
     * Creates a bucket and returns the tier of a broker that writes under {@code keyPrefix} in it. The filesystem
     * blob store keeps a bucket as a directory of its base directory.
     */
    S3Tier bucket(String name, String keyPrefix) throws IOException {
        Files.createDirectories(process.dataDir().resolve(name));
        return new S3Tier(endpoint(), name, ACCESS_KEY, SECRET_KEY, keyPrefix);
    }

    String endpoint() {
        return "http://" + process.address();
    }

    Path log() {
        return process.log();
    }

    /** The CPU time S3Proxy has used so far. */
    Duration cpuTime() {
        return process.cpuTime();
    }

    @Override
    public void close() {
        process.close();
    }

    private static final String LOGBACK =
            """
            <configuration>
              <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
                <encoder><pattern>[%d] %level %msg \\(%logger\\)%n</pattern></encoder>
              </appender>
              <root level="WARN"><appender-ref ref="STDOUT"/></root>
            </configuration>
            """;
}
