package dev.strata.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import dev.strata.testing.Ports;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release archive is what a user downloads: unpacked to an empty directory, {@code bin/strata server} starts a
 * broker with only a JRE. The broker runs with a {@code PATH} of the JRE's {@code bin/} and the basic system tools,
 * behind an {@code mvn} that records being called and fails, so any attempt to build shows up; a kafka-clients
 * producer and consumer then round-trip one record, and SIGTERM stops the broker cleanly.
 */
class DistArchiveIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    private Process broker;

    @AfterEach
    void stopBroker() throws InterruptedException {
        if (broker != null && broker.isAlive()) {
            broker.destroyForcibly();
            broker.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void brokerStartsFromTheUnpackedArchiveWithOnlyAJreAndServesAProducerAndAConsumer() throws Exception {
        Path home = unpack(Path.of(System.getProperty("strata.dist.archive")));
        assertThat(home.resolve("bin/strata")).isExecutable();
        assertThat(home.resolve("config/server.properties")).isRegularFile();
        assertThat(home.resolve("pom.xml")).doesNotExist();
        try (Stream<Path> jars = Files.list(home.resolve("lib"))) {
            assertThat(jars.map(jar -> jar.getFileName().toString()))
                    .anyMatch(name -> name.contains("strata-broker-core"))
                    .anyMatch(name -> name.contains("strata-remote-storage-s3"))
                    .anyMatch(name -> name.contains("strata-clients"));
        }

        Path mavenCalled = dir.resolve("mvn-was-called");
        Path fakeBin = failingMaven(mavenCalled);
        int port = Ports.free();
        Path work = Files.createDirectories(dir.resolve("work"));
        Path config = writeConfig(work.resolve("server.properties"), port, Ports.free());
        Path output = dir.resolve("broker.log");

        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/strata").toString(), "server", config.toString())
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
        Map<String, String> env = builder.environment();
        List.of("JAVA_HOME", "MAVEN_HOME", "M2_HOME", "STRATA_SKIP_BUILD", "STRATA_MVN_OPTS", "STRATA_JVM_OPTS")
                .forEach(env::remove);
        env.put("PATH", fakeBin + ":" + Path.of(System.getProperty("java.home"), "bin") + ":/usr/bin:/bin");
        env.put("STRATA_HEAP_OPTS", "-Xmx512m");
        broker = builder.start();

        awaitListening(port, output);
        Await.until(TIMEOUT, "the log line naming the listener", () -> read(output)
                .contains("PLAINTEXT://127.0.0.1:" + port));

        String topic = "from-the-archive";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1)))
                    .all()
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                "127.0.0.1:" + port,
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                (int) TIMEOUT.toMillis(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class))) {
            producer.send(new ProducerRecord<>(topic, "k", "unpacked and running"))
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            List<ConsumerRecord<String, String>> records = Await.records(consumer, 1, TIMEOUT);
            assertThat(records).singleElement().satisfies(record -> {
                assertThat(record.key()).isEqualTo("k");
                assertThat(record.value()).isEqualTo("unpacked and running");
            });
        }

        broker.destroy();
        assertThat(broker.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                .as("the broker stops on SIGTERM")
                .isTrue();
        assertThat(broker.exitValue())
                .as("exit status after SIGTERM (128 + 15 once shutdown hooks finish)")
                .isEqualTo(143);
        assertThat(mavenCalled).as("bin/strata never calls Maven").doesNotExist();
        assertThat(Files.readString(output))
                .as("no build, no errors")
                .doesNotContain("strata: building", " ERROR ", "\tat ");
        assertThat(work.resolve("data"))
                .as("data under the directory it was started from")
                .isDirectory();
    }

    /** Unpacks with the system's tar, as a user would, and returns the archive's top directory. */
    private Path unpack(Path archive) throws IOException, InterruptedException {
        assertThat(archive).as("the archive `mvn package` builds").isRegularFile();
        Path target = Files.createDirectories(dir.resolve("unpacked"));
        Process tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", target.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tar.waitFor()).as("tar -xzf: " + out).isZero();
        return target.resolve(System.getProperty("strata.dist.directory"));
    }

    /** A directory whose only file is an {@code mvn} that leaves {@code marker} behind and fails. */
    private Path failingMaven(Path marker) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("fake-bin"));
        Path mvn = bin.resolve("mvn");
        Files.writeString(mvn, "#!/bin/sh\ntouch '" + marker + "'\necho 'mvn must not run' >&2\nexit 1\n");
        Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    private static Path writeConfig(Path file, int port, int metricsPort) throws IOException {
        Properties props = new Properties();
        props.setProperty("node.id", "1");
        props.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + port);
        props.setProperty("metrics.prometheus.listener", "127.0.0.1:" + metricsPort);
        props.setProperty("log.dirs", "./data");
        props.setProperty("num.partitions", "1");
        try (var writer = Files.newBufferedWriter(file)) {
            props.store(writer, "written by " + DistArchiveIT.class.getSimpleName());
        }
        return file;
    }

    private void awaitListening(int port, Path output) {
        Await.until(
                TIMEOUT,
                "the broker started by bin/strata to listen on port " + port,
                () -> {
                    if (!broker.isAlive()) {
                        throw new AssertionError(
                                "bin/strata exited with " + broker.exitValue() + "; output:\n" + read(output));
                    }
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                        return true;
                    } catch (IOException e) {
                        return false;
                    }
                },
                () -> "; output:\n" + read(output));
    }

    private static String read(Path output) {
        try {
            return Files.exists(output) ? Files.readString(output) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
