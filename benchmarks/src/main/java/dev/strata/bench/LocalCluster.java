package dev.strata.bench;

import dev.strata.testing.ApacheKafkaBroker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;

/**
 * N brokers on this machine, each in its own child JVM and each also a voter of the metadata quorum (KRaft
 * {@code process.roles=broker,controller}): Strata ({@code dev.strata.broker.StrataServer}, the layout of
 * {@code config/cluster/}) or Apache Kafka 4.3 (storage formatted with a static voter set). Both get the same JVM
 * options as the single brokers of {@code compare}, the same replication settings ({@code default.replication.factor}
 * and {@code offsets.topic.replication.factor} = min(3, N), {@code min.insync.replicas=2}) and each system's default
 * failure detection (a broker is fenced after {@code broker.session.timeout.ms}, 9 s in both).
 *
 * <p>A node can be killed ({@code kill -9}), stopped with SIGTERM (a controlled shutdown) and started again over its
 * data. {@link #close()} kills every node and deletes the data; configs and logs stay in the cluster's directory.
 */
final class LocalCluster implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);

    /** One node: how to start it and the port of its client listener. */
    private record Node(int id, ChildProcess.Launch launch, int port) {}

    private final String name;
    private final Path dir;
    private final List<Node> nodes;
    private final Map<Integer, ChildProcess> running = new LinkedHashMap<>();

    private LocalCluster(String name, Path dir, List<Node> nodes) {
        this.name = name;
        this.dir = dir;
        this.nodes = nodes;
    }

    /** Starts {@code size} Strata nodes in a new directory under {@code parent} and waits until all are registered. */
    static LocalCluster strata(String classpath, Path parent, int size) throws IOException, InterruptedException {
        return strata(classpath, parent, size, Map.of());
    }

    /** As {@link #strata(String, Path, int)}, every node also given {@code extra} settings (e.g. tiering). */
    static LocalCluster strata(String classpath, Path parent, int size, Map<String, String> extra)
            throws IOException, InterruptedException {
        Path dir = newDir(parent, "strata-cluster-");
        Ports ports = Ports.free(size);
        Path logback = dir.resolve("logback.xml");
        Files.writeString(logback, StrataBroker.LOGBACK);
        List<Node> nodes = new ArrayList<>();
        for (int id = 1; id <= size; id++) {
            Map<String, String> c = common(ports, id, size, dir);
            c.put("cluster.id", "strata-bench-cluster");
            c.put("log.dir.free.bytes.min", "0");
            c.putAll(extra);
            Path config = write(dir.resolve("node" + id + ".properties"), c);
            List<String> jvm = new ArrayList<>(ChildProcess.BROKER_JVM_OPTIONS);
            jvm.add("-Dlogback.configurationFile=" + logback);
            nodes.add(new Node(
                    id,
                    new ChildProcess.Launch(
                            "Strata node " + id,
                            dir,
                            classpath,
                            jvm,
                            StrataBroker.MAIN_CLASS,
                            List.of(config.toString()),
                            "node" + id + ".log"),
                    ports.client(id)));
        }
        return startAll(new LocalCluster("Strata", dir, nodes));
    }

    /** Formats and starts {@code size} Apache Kafka nodes in a new directory under {@code parent}. */
    static LocalCluster kafka(Path classpathFile, Path parent, int size) throws IOException, InterruptedException {
        return kafka(classpathFile, parent, size, Map.of());
    }

    /** As {@link #kafka(Path, Path, int)}, every node also given {@code extra} settings (e.g. tiering). */
    static LocalCluster kafka(Path classpathFile, Path parent, int size, Map<String, String> extra)
            throws IOException, InterruptedException {
        String classpath = ChildProcess.readClasspath(
                classpathFile,
                "mvn -B -q -f remote-storage-s3/apache-kafka/pom.xml"
                        + " -Dkafka.classpath.file=$PWD/benchmarks/target/apache-kafka-classpath.txt validate");
        Path dir = newDir(parent, "apache-kafka-cluster-");
        Ports ports = Ports.free(size);
        Path log4j = dir.resolve("log4j2.properties");
        Files.writeString(log4j, ApacheKafkaBroker.LOG4J2);
        String log4jOption = "-Dlog4j2.configurationFile=" + log4j;
        String clusterId = Uuid.randomUuid().toString();
        List<Node> nodes = new ArrayList<>();
        for (int id = 1; id <= size; id++) {
            Map<String, String> c = common(ports, id, size, dir);
            c.put("advertised.listeners", c.get("listeners"));
            c.put("inter.broker.listener.name", "PLAINTEXT");
            c.put("transaction.state.log.replication.factor", c.get("offsets.topic.replication.factor"));
            c.put("transaction.state.log.min.isr", c.get("min.insync.replicas"));
            c.put("share.coordinator.state.topic.replication.factor", c.get("offsets.topic.replication.factor"));
            c.put("share.coordinator.state.topic.min.isr", c.get("min.insync.replicas"));
            c.putAll(extra);
            Path config = write(dir.resolve("node" + id + ".properties"), c);
            ChildProcess.runTool(
                    new ChildProcess.Launch(
                            "kafka-storage format of node " + id,
                            dir,
                            classpath,
                            List.of("-Xmx256m", log4jOption),
                            "kafka.tools.StorageTool",
                            List.of("format", "-t", clusterId, "-c", config.toString()),
                            "format-" + id + ".log"),
                    Duration.ofSeconds(60));
            List<String> jvm = new ArrayList<>(ChildProcess.BROKER_JVM_OPTIONS);
            jvm.add(log4jOption);
            nodes.add(new Node(
                    id,
                    new ChildProcess.Launch(
                            "Apache Kafka node " + id,
                            dir,
                            classpath,
                            jvm,
                            "kafka.Kafka",
                            List.of(config.toString()),
                            "node" + id + ".log"),
                    ports.client(id)));
        }
        return startAll(new LocalCluster("Apache Kafka", dir, nodes));
    }

    /** The settings both systems take under Kafka's names. */
    private static Map<String, String> common(Ports ports, int id, int size, Path dir) {
        int rf = Math.min(3, size);
        Map<String, String> c = new LinkedHashMap<>();
        c.put("node.id", Integer.toString(id));
        c.put("process.roles", "broker,controller");
        c.put(
                "listeners",
                "PLAINTEXT://" + ChildProcess.HOST + ":" + ports.client(id) + ",CONTROLLER://" + ChildProcess.HOST + ":"
                        + ports.controller(id));
        c.put("advertised.listeners", "PLAINTEXT://" + ChildProcess.HOST + ":" + ports.client(id));
        c.put("controller.listener.names", "CONTROLLER");
        c.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        c.put("controller.quorum.voters", ports.voters());
        c.put("log.dirs", dir.resolve("data-" + id).toString());
        c.put("num.partitions", "1");
        c.put("default.replication.factor", Integer.toString(rf));
        c.put("offsets.topic.replication.factor", Integer.toString(rf));
        c.put("min.insync.replicas", Integer.toString(Math.min(2, rf)));
        c.put("group.initial.rebalance.delay.ms", "0");
        return c;
    }

    private static LocalCluster startAll(LocalCluster cluster) throws IOException, InterruptedException {
        try {
            for (Node n : cluster.nodes) {
                cluster.running.put(n.id(), ChildProcess.launch(n.launch(), n.port()));
            }
            for (Node n : cluster.nodes) {
                cluster.running.get(n.id()).awaitBroker(START_TIMEOUT);
            }
            cluster.awaitRegistered(cluster.nodes.size(), START_TIMEOUT);
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    String name() {
        return name;
    }

    /** Every node's client listener, comma-separated. */
    String bootstrap() {
        return nodes.stream().map(n -> ChildProcess.HOST + ":" + n.port()).collect(Collectors.joining(","));
    }

    /** Where configs and logs are. */
    Path dir() {
        return dir;
    }

    /** The log directory of node {@code id}. */
    Path dataDir(int id) {
        return dir.resolve("data-" + id);
    }

    /** Kills node {@code id} at once ({@code kill -9}), keeping its data. */
    void kill(int id) {
        running.remove(id).kill();
    }

    /** Stops node {@code id} with SIGTERM (a controlled shutdown) and returns how long it took to exit. */
    Duration terminate(int id) {
        long start = System.nanoTime();
        running.remove(id).stop();
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** Starts node {@code id} again over its data and waits until the cluster lists every node again. */
    void restart(int id) throws IOException, InterruptedException {
        Node n = nodes.get(id - 1);
        ChildProcess p = ChildProcess.launch(n.launch(), n.port());
        running.put(id, p);
        p.awaitBroker(START_TIMEOUT);
        awaitRegistered(nodes.size(), START_TIMEOUT);
    }

    private void awaitRegistered(int count, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = BenchTopic.admin(bootstrap())) {
            while (true) {
                try {
                    if (admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() >= count) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    // a node is still joining
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException(name + ": fewer than " + count + " brokers registered after " + timeout
                            + "; logs in " + dir);
                }
                Thread.sleep(200);
            }
        }
    }

    @Override
    public void close() {
        // the measurements are taken: killing is quicker than a controlled shutdown of a shrinking quorum
        running.values().forEach(ChildProcess::kill);
        running.clear();
        for (Node n : nodes) {
            ChildProcess.deleteTree(dir.resolve("data-" + n.id()));
        }
    }

    private static Path newDir(Path parent, String prefix) throws IOException {
        Files.createDirectories(parent);
        return Files.createTempDirectory(parent, prefix);
    }

    private static Path write(Path file, Map<String, String> config) throws IOException {
        StringBuilder out = new StringBuilder("# written by dev.strata.bench.LocalCluster\n");
        config.forEach((k, v) -> out.append(k).append('=').append(v).append('\n'));
        Files.writeString(file, out);
        return file;
    }

    /** The client and controller ports of every node, node ids from 1. */
    private record Ports(int[] clients, int[] controllers) {
        static Ports free(int size) {
            int[] clients = new int[size];
            int[] controllers = new int[size];
            for (int i = 0; i < size; i++) {
                clients[i] = dev.strata.testing.Ports.free();
                controllers[i] = dev.strata.testing.Ports.free();
            }
            return new Ports(clients, controllers);
        }

        int client(int id) {
            return clients[id - 1];
        }

        int controller(int id) {
            return controllers[id - 1];
        }

        String voters() {
            List<String> v = new ArrayList<>();
            for (int id = 1; id <= clients.length; id++) {
                v.add(id + "@" + ChildProcess.HOST + ":" + controller(id));
            }
            return String.join(",", v);
        }
    }
}
