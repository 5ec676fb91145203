package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.testing.ApacheKafkaJars;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialDeletion;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.DuplicateResourceException;
import org.apache.kafka.common.errors.ResourceNotFoundException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.UnacceptableCredentialException;
import org.apache.kafka.common.errors.UnsupportedSaslMechanismException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * SASL/SCRAM on one broker with a PLAINTEXT listener (where the tests add users, as an operator's admin listener would)
 * and SASL_PLAINTEXT and SASL_SSL listeners that enable SCRAM-SHA-256 and SCRAM-SHA-512: users made through
 * {@code Admin.alterUserScramCredentials}, Apache Kafka's {@code kafka-configs.sh} and KafkaJS log in, produce and
 * consume; wrong passwords, deleted users and other mechanisms are refused with Kafka's errors.
 */
class ScramAuthenticationIT {
    private static final String SCRAM_JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required;";
    private static final String FAILED =
            "Authentication failed during authentication due to invalid credentials with SASL mechanism ";
    private static final TestCertificates CERTS = TestCertificates.inTemporaryDirectory("strata-scram-");

    @RegisterExtension
    static final TestBroker BROKER = TestBroker.withConfig(brokerConfig());

    private static Map<String, String> brokerConfig() {
        Map<String, String> config = new HashMap<>();
        config.put(
                "listeners",
                "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,REAUTH://127.0.0.1:0");
        config.put(
                "listener.security.protocol.map",
                "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,REAUTH:SASL_PLAINTEXT");
        // KIP-368 on one listener: sessions of 1.5 s, so its clients re-authenticate every second or so
        config.put("listener.name.reauth.connections.max.reauth.ms", "1500");
        config.put("inter.broker.listener.name", "PLAINTEXT");
        config.put("sasl.enabled.mechanisms", "SCRAM-SHA-256,SCRAM-SHA-512");
        for (String listener : List.of("sasl_plaintext", "sasl_ssl", "reauth")) {
            config.put("listener.name." + listener + ".scram-sha-256.sasl.jaas.config", SCRAM_JAAS);
            config.put("listener.name." + listener + ".scram-sha-512.sasl.jaas.config", SCRAM_JAAS);
        }
        config.put("listener.name.sasl_ssl.ssl.keystore.type", "PKCS12");
        config.put("listener.name.sasl_ssl.ssl.keystore.location", CERTS.brokerKeystore.toString());
        config.put("listener.name.sasl_ssl.ssl.keystore.password", TestCertificates.PASSWORD);
        return config;
    }

    @AfterAll
    static void deleteCertificates() throws IOException {
        CERTS.delete();
    }

    private static Map<String, Object> scram(String listener, String mechanism, String user, String password) {
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + BROKER.port(listener));
        props.put(
                CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, listener.equals("REAUTH") ? "SASL_PLAINTEXT" : listener);
        props.put(SaslConfigs.SASL_MECHANISM, mechanism);
        props.put(
                SaslConfigs.SASL_JAAS_CONFIG,
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
                        + password + "\";");
        if (listener.equals("SASL_SSL")) {
            props.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, CERTS.clientTruststore.toString());
            props.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, TestCertificates.PASSWORD);
            props.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "JKS");
        }
        return props;
    }

    private static Admin admin(Map<String, Object> client) {
        Map<String, Object> props = new HashMap<>(client);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        return Admin.create(props);
    }

    private static void alter(UserScramCredentialAlteration... alterations) throws Exception {
        try (Admin admin = BROKER.admin()) {
            admin.alterUserScramCredentials(List.of(alterations)).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static UserScramCredentialUpsertion upsert(String user, ScramMechanism mechanism, String password) {
        return new UserScramCredentialUpsertion(user, new ScramCredentialInfo(mechanism, 8192), password);
    }

    private static void produceAndConsume(String topic, Map<String, Object> client) throws Exception {
        BROKER.createTopic(topic, 1, Map.of());
        try (KafkaProducer<String, String> producer = BROKER.producer(client)) {
            producer.send(new ProducerRecord<>(topic, "k", "v-" + topic)).get(30, TimeUnit.SECONDS);
        }
        try (KafkaConsumer<String, String> consumer = BROKER.consumer(client)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<String, String>> got = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (got.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(got::add);
            }
            assertThat(got).extracting(ConsumerRecord::value).containsExactly("v-" + topic);
        }
    }

    /** Fails as a client whose authentication is refused fails: at once, with the broker's message. */
    private static void assertRefused(Map<String, Object> client, String message) {
        try (Admin admin = admin(client)) {
            assertThatThrownBy(() -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(SaslAuthenticationException.class)
                    .hasMessage(message);
        }
    }

    private static void assertBrokerHealthy() throws Exception {
        try (Admin admin = BROKER.admin()) {
            assertThat(admin.describeCluster().nodes().get(15, TimeUnit.SECONDS))
                    .hasSize(1);
        }
    }

    @ParameterizedTest
    @CsvSource({
        "SASL_PLAINTEXT,SCRAM-SHA-256",
        "SASL_PLAINTEXT,SCRAM-SHA-512",
        "SASL_SSL,SCRAM-SHA-256",
        "SASL_SSL,SCRAM-SHA-512"
    })
    void aUserAddedThroughTheAdminApiProducesAndConsumes(String listener, String mechanism) throws Exception {
        String user = "user-" + listener.toLowerCase() + "-" + mechanism.toLowerCase();
        alter(upsert(user, ScramMechanism.fromMechanismName(mechanism), user + "-secret"));
        produceAndConsume(
                "scram-" + listener.toLowerCase() + "-" + mechanism.toLowerCase(),
                scram(listener, mechanism, user, user + "-secret"));
    }

    @Test
    void aWrongPasswordAnUnknownUserAndADeletedUserAreRefusedAndTheBrokerStaysHealthy() throws Exception {
        alter(upsert("dora", ScramMechanism.SCRAM_SHA_256, "dora-secret"));
        assertRefused(scram("SASL_PLAINTEXT", "SCRAM-SHA-256", "dora", "wrong"), FAILED + "SCRAM-SHA-256");
        assertRefused(scram("SASL_SSL", "SCRAM-SHA-512", "nobody", "x"), FAILED + "SCRAM-SHA-512");
        // dora has no SHA-512 credential
        assertRefused(scram("SASL_PLAINTEXT", "SCRAM-SHA-512", "dora", "dora-secret"), FAILED + "SCRAM-SHA-512");
        assertBrokerHealthy();
        try (Admin admin = admin(scram("SASL_PLAINTEXT", "SCRAM-SHA-256", "dora", "dora-secret"))) {
            assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS))
                    .hasSize(1);
        }

        alter(new UserScramCredentialDeletion("dora", ScramMechanism.SCRAM_SHA_256));
        assertRefused(scram("SASL_PLAINTEXT", "SCRAM-SHA-256", "dora", "dora-secret"), FAILED + "SCRAM-SHA-256");
        assertBrokerHealthy();
    }

    /**
     * KIP-368: told a session lifetime of 1.5 s, a producer re-authenticates on its connection (kafka-clients counts it
     * in {@code successful-reauthentication-total}) and its sends go on succeeding.
     */
    @Test
    void clientsReauthenticateOnTheirConnectionBeforeTheirSessionEnds() throws Exception {
        alter(upsert("henry", ScramMechanism.SCRAM_SHA_256, "henry-secret"));
        BROKER.createTopic("scram-reauth", 1, Map.of());
        try (KafkaProducer<String, String> producer =
                BROKER.producer(scram("REAUTH", "SCRAM-SHA-256", "henry", "henry-secret"))) {
            int sent = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (metric(producer, "successful-reauthentication-total") < 1 && System.nanoTime() < deadline) {
                producer.send(new ProducerRecord<>("scram-reauth", "k", "v" + sent))
                        .get(30, TimeUnit.SECONDS);
                sent++;
            }
            assertThat(metric(producer, "successful-reauthentication-total")).isGreaterThanOrEqualTo(1);
            assertThat(metric(producer, "failed-reauthentication-total")).isZero();
            assertThat(sent).isPositive();
        }
    }

    private static double metric(KafkaProducer<String, String> producer, String name) {
        return producer.metrics().entrySet().stream()
                .filter(e ->
                        e.getKey().name().equals(name) && e.getKey().group().equals("producer-metrics"))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
                .sum();
    }

    /**
     * Before it has authenticated, a client may send no frame above {@code sasl.server.max.receive.size} (512 KiB):
     * announcing one closes its connection at once, before the broker buffers anything.
     */
    @Test
    void anOversizedFrameBeforeAuthenticationClosesTheConnection() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", BROKER.port("SASL_PLAINTEXT"))) {
            socket.setSoTimeout(30_000);
            java.io.DataOutputStream out = new java.io.DataOutputStream(socket.getOutputStream());
            out.writeInt(600_000);
            out.write(new byte[1024]);
            out.flush();
            assertThat(socket.getInputStream().read()).as("end of stream").isEqualTo(-1);
        }
        assertBrokerHealthy();
    }

    /** Once authenticated, the same client's requests may be as large as {@code socket.request.max.bytes}. */
    @Test
    void anAuthenticatedClientSendsRequestsAboveTheSaslLimit() throws Exception {
        alter(upsert("jane", ScramMechanism.SCRAM_SHA_512, "jane-secret"));
        BROKER.createTopic("scram-large", 1, Map.of());
        try (KafkaProducer<String, String> producer =
                BROKER.producer(scram("SASL_PLAINTEXT", "SCRAM-SHA-512", "jane", "jane-secret"))) {
            producer.send(new ProducerRecord<>("scram-large", "k", "x".repeat(700_000)))
                    .get(30, TimeUnit.SECONDS);
        }
    }

    /** Credentials are in the metadata quorum's log and snapshots: after a restart the user still logs in. */
    @Test
    void aUserStillLogsInAfterABrokerRestart() throws Exception {
        alter(upsert("kate", ScramMechanism.SCRAM_SHA_512, "kate-secret"));
        BROKER.restart();
        try (Admin admin = admin(scram("SASL_SSL", "SCRAM-SHA-512", "kate", "kate-secret"))) {
            assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS))
                    .hasSize(1);
        }
        assertRefused(scram("SASL_SSL", "SCRAM-SHA-512", "kate", "wrong"), FAILED + "SCRAM-SHA-512");
    }

    @Test
    void aMechanismTheListenerDoesNotEnableGetsTheEnabledList() {
        Map<String, Object> plain = scram("SASL_PLAINTEXT", "PLAIN", "alice", "x");
        plain.put(
                SaslConfigs.SASL_JAAS_CONFIG,
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"a\" password=\"b\";");
        try (Admin admin = admin(plain)) {
            assertThatThrownBy(() -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(UnsupportedSaslMechanismException.class)
                    .hasMessageContaining("[SCRAM-SHA-256, SCRAM-SHA-512]");
        }
    }

    @Test
    void describeShowsMechanismsAndIterationsAndAlterGivesKafkasPerUserErrors() throws Exception {
        alter(upsert("erin", ScramMechanism.SCRAM_SHA_512, "erin-secret"));
        try (Admin admin = BROKER.admin()) {
            UserScramCredentialsDescription erin = admin.describeUserScramCredentials(List.of("erin"))
                    .description("erin")
                    .get(30, TimeUnit.SECONDS);
            assertThat(erin.credentialInfos())
                    .containsExactly(new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192));
            assertThat(admin.describeUserScramCredentials().users().get(30, TimeUnit.SECONDS))
                    .contains("erin");
            assertThatThrownBy(() -> admin.describeUserScramCredentials(List.of("ghost"))
                            .description("ghost")
                            .get(30, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(ResourceNotFoundException.class);

            var results = admin.alterUserScramCredentials(List.of(
                            new UserScramCredentialUpsertion(
                                    "few", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 1000), "pw"),
                            new UserScramCredentialUpsertion(
                                    "many", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 20000), "pw"),
                            new UserScramCredentialDeletion("ghost", ScramMechanism.SCRAM_SHA_256),
                            upsert("twice", ScramMechanism.SCRAM_SHA_256, "pw"),
                            upsert("twice", ScramMechanism.SCRAM_SHA_512, "pw")))
                    .values();
            assertThatThrownBy(() -> results.get("few").get(30, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(UnacceptableCredentialException.class)
                    .hasMessage("Too few iterations");
            assertThatThrownBy(() -> results.get("many").get(30, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(UnacceptableCredentialException.class)
                    .hasMessage("Too many iterations");
            assertThatThrownBy(() -> results.get("ghost").get(30, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(ResourceNotFoundException.class);
            assertThatThrownBy(() -> results.get("twice").get(30, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(DuplicateResourceException.class);
        }
    }

    /**
     * Apache Kafka 4.3.1's {@code kafka-configs.sh} (its {@code kafka.admin.ConfigCommand}, in Kafka's core jar, run in a
     * child JVM on Apache Kafka's jars) adds a user, describes the users, and the user logs in. (As against Kafka, one
     * command sets one mechanism: two for one user in one request are DUPLICATE_RESOURCE.)
     */
    @Test
    void kafkaConfigsShAddsAndDescribesAUserThatThenLogsIn() throws Exception {
        String added = kafkaConfigs(
                BROKER,
                "--alter",
                "--add-config",
                "SCRAM-SHA-256=[iterations=8192,password=frank-secret]",
                "--entity-type",
                "users",
                "--entity-name",
                "frank");
        assertThat(added).contains("Completed updating config for user frank.");
        String described = kafkaConfigs(BROKER, "--describe", "--entity-type", "users");
        assertThat(described)
                .contains("SCRAM credential configs for user-principal 'frank' are SCRAM-SHA-256=iterations=8192");
        produceAndConsume("scram-kafka-configs", scram("SASL_SSL", "SCRAM-SHA-256", "frank", "frank-secret"));
    }

    /** Runs Apache Kafka 4.3.1's {@code kafka-configs.sh} against {@code broker}; it must succeed. */
    static String kafkaConfigs(TestBroker broker, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                ApacheKafkaJars.classpath(),
                "kafka.admin.ConfigCommand",
                "--bootstrap-server",
                broker.bootstrapServers()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("kafka-configs.sh ends").isTrue();
        assertThat(p.exitValue())
                .as("kafka-configs.sh %s:%n%s", String.join(" ", args), out)
                .isZero();
        return out;
    }

    /**
     * KafkaJS (pinned, installed with npm into {@code target/} when missing) produces and consumes with SCRAM-SHA-512;
     * skipped where node or npm or the registry is not there.
     */
    @Test
    void kafkaJsProducesAndConsumesWithScramSha512() throws Exception {
        Path dir = Path.of(System.getProperty("strata.it.work.dir", "target"), "kafkajs");
        Path module = dir.resolve("node_modules").resolve("kafkajs");
        if (!Files.isDirectory(module)) {
            Assumptions.assumeTrue(run(dir, List.of("node", "--version"), Map.of()).exitCode == 0, "node is missing");
            Files.createDirectories(dir);
            Result install = run(
                    dir,
                    List.of("npm", "install", "--prefix", dir.toString(), "--no-audit", "--no-fund", "kafkajs@2.2.4"),
                    Map.of());
            Assumptions.assumeTrue(
                    install.exitCode == 0 && Files.isDirectory(module), "npm install failed:\n" + install.output);
        }
        Path script = dir.resolve("scram-roundtrip.js");
        try (InputStream in = ScramAuthenticationIT.class.getResourceAsStream("/kafkajs/scram-roundtrip.js")) {
            Files.write(script, in.readAllBytes());
        }
        alter(upsert("grace", ScramMechanism.SCRAM_SHA_512, "grace-secret"));
        BROKER.createTopic("scram-kafkajs", 1, Map.of());
        Result result = run(
                dir,
                List.of("node", script.toString()),
                Map.of(
                        "BROKER", "127.0.0.1:" + BROKER.port("SASL_PLAINTEXT"),
                        "MECHANISM", "scram-sha-512",
                        "USER", "grace",
                        "PASSWORD", "grace-secret",
                        "TOPIC", "scram-kafkajs"));
        assertThat(result.exitCode).as(result.output).isZero();
        assertThat(result.output)
                .contains("produced 10")
                .contains("consumed 10:")
                .contains("wrong password: KafkaJSSASLAuthenticationError");
    }

    /**
     * kcat (librdkafka) with SCRAM-SHA-512: librdkafka before 2.6.1 repeats the client nonce in its final message,
     * which Kafka 4.x refuses as invalid credentials, and so does Strata; from 2.6.1 on it produces and consumes.
     */
    @Test
    void kcatWithScramWorksFromLibrdkafka261AndOlderOnesAreRefusedAsKafka4RefusesThem() throws Exception {
        Result version = run(Path.of("."), List.of("kcat", "-V"), Map.of(), "");
        Assumptions.assumeTrue(version.exitCode == 0, "kcat is not installed");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("librdkafka (\\d+)\\.(\\d+)\\.(\\d+)")
                .matcher(version.output);
        Assumptions.assumeTrue(m.find(), "no librdkafka version in kcat -V: " + version.output);
        int v = Integer.parseInt(m.group(1)) * 10_000
                + Integer.parseInt(m.group(2)) * 100
                + Integer.parseInt(m.group(3));
        alter(upsert("ivan", ScramMechanism.SCRAM_SHA_512, "ivan-secret"));
        BROKER.createTopic("scram-kcat", 1, Map.of());
        List<String> kcat = List.of(
                "kcat",
                "-b",
                "127.0.0.1:" + BROKER.port("SASL_PLAINTEXT"),
                "-X",
                "security.protocol=SASL_PLAINTEXT",
                "-X",
                "sasl.mechanisms=SCRAM-SHA-512",
                "-X",
                "sasl.username=ivan",
                "-X",
                "sasl.password=ivan-secret");
        if (v < 2_06_01) {
            Result refused = run(Path.of("."), concat(kcat, "-L", "-m", "3"), Map.of(), "");
            assertThat(refused.exitCode).as(refused.output).isNotZero();
            assertThat(refused.output).contains(FAILED + "SCRAM-SHA-512");
            assertBrokerHealthy();
            return;
        }
        Result produced = run(Path.of("."), concat(kcat, "-P", "-t", "scram-kcat", "-p", "0"), Map.of(), "one\ntwo\n");
        assertThat(produced.exitCode).as(produced.output).isZero();
        Result consumed = run(
                Path.of("."),
                concat(kcat, "-C", "-t", "scram-kcat", "-o", "beginning", "-e", "-f", "%s\n"),
                Map.of(),
                "");
        assertThat(consumed.exitCode).as(consumed.output).isZero();
        assertThat(consumed.output).contains("one\ntwo\n");
    }

    private static List<String> concat(List<String> a, String... b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(List.of(b));
        return all;
    }

    private record Result(int exitCode, String output) {}

    private static Result run(Path dir, List<String> command, Map<String, String> env) throws Exception {
        return run(dir, command, env, null);
    }

    private static Result run(Path dir, List<String> command, Map<String, String> env, String stdin) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (Files.isDirectory(dir)) {
            builder.directory(dir.toFile());
        }
        builder.environment().putAll(env);
        Process p;
        try {
            p = builder.start();
        } catch (IOException e) {
            return new Result(-1, e.toString());
        }
        try (var in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(3, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            return new Result(-1, out + "\n(timed out)");
        }
        return new Result(p.exitValue(), out);
    }
}
