package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.testing.Await;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.SaslAuthenticateRequest;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.requests.SaslHandshakeRequest;
import org.apache.kafka.common.requests.SaslHandshakeResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One broker with five listeners, driven by the real kafka-clients: PLAINTEXT (the inter-broker listener), SSL, MTLS
 * (SSL with {@code ssl.client.auth=required}), SASL_PLAINTEXT and SASL_SSL with PLAIN users from Kafka's JAAS
 * setting, and ROTATE, an SSL listener whose certificate the tests replace while the broker runs. Key stores are made
 * with {@code keytool} once for the class. The broker tiers to a directory, so that a TLS consumer also reads history
 * from the remote tier (whose files a plain connection sends with {@code sendfile}).
 */
class ListenerSecurityIT {
    private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " user_alice=\"alice-secret\" user_bob=\"bob-secret\";";
    private static final TestCertificates CERTS = TestCertificates.inTemporaryDirectory("strata-tls-");
    private static final java.nio.file.Path ROTATED_KEYSTORE = CERTS.brokerKeystore.resolveSibling("rotate.p12");

    private static final Path REMOTE_DIR = Tiering.tempDir();
    private static final int HISTORY = 200;

    @RegisterExtension
    static final TestBroker BROKER = TestBroker.withConfig(brokerConfig());

    private static Map<String, String> brokerConfig() {
        // tiering to a directory, so that TLS consumers also read history from the remote tier
        Map<String, String> config = new HashMap<>(Tiering.tieringBroker(REMOTE_DIR));
        config.put(
                "listeners",
                "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,MTLS://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,"
                        + "SASL_SSL://127.0.0.1:0,PEM://127.0.0.1:0,ROTATE://127.0.0.1:0");
        config.put(
                "listener.security.protocol.map",
                "PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,PEM:SSL,ROTATE:SSL");
        config.put("inter.broker.listener.name", "PLAINTEXT");
        // key stores per listener: a PKCS12 file for three, PEM text for the fourth
        for (String listener : List.of("ssl", "mtls", "sasl_ssl")) {
            config.put("listener.name." + listener + ".ssl.keystore.type", "PKCS12");
            config.put("listener.name." + listener + ".ssl.keystore.location", CERTS.brokerKeystore.toString());
            config.put("listener.name." + listener + ".ssl.keystore.password", TestCertificates.PASSWORD);
        }
        // ROTATE: its own copy of the key store, which the rotation test replaces; the files are looked at often
        try {
            java.nio.file.Files.copy(CERTS.brokerKeystore, ROTATED_KEYSTORE);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        config.put("listener.name.rotate.ssl.keystore.type", "PKCS12");
        config.put("listener.name.rotate.ssl.keystore.location", ROTATED_KEYSTORE.toString());
        config.put("listener.name.rotate.ssl.keystore.password", TestCertificates.PASSWORD);
        config.put("ssl.store.check.interval.ms", "200");
        config.put("listener.name.pem.ssl.keystore.type", "PEM");
        try {
            config.put("listener.name.pem.ssl.keystore.certificate.chain", CERTS.brokerCertificatePem());
            config.put("listener.name.pem.ssl.keystore.key", CERTS.brokerKeyPem());
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        config.put("ssl.truststore.type", "JKS");
        config.put("ssl.truststore.location", CERTS.brokerTruststore.toString());
        config.put("ssl.truststore.password", TestCertificates.PASSWORD);
        config.put("listener.name.mtls.ssl.client.auth", "required");
        config.put("sasl.enabled.mechanisms", "PLAIN");
        // failed authentications wait a second before their answer and close (Kafka's default is 100 ms)
        config.put("connection.failed.authentication.delay.ms", "1000");
        config.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", JAAS);
        config.put("listener.name.sasl_ssl.plain.sasl.jaas.config", JAAS);
        return config;
    }

    @AfterAll
    static void deleteCertificates() throws IOException {
        CERTS.delete();
        TestBroker.deleteRecursively(REMOTE_DIR);
    }

    private static Map<String, Object> tls() {
        Map<String, Object> props = new HashMap<>();
        props.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, CERTS.clientTruststore.toString());
        props.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, TestCertificates.PASSWORD);
        props.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "JKS");
        return props;
    }

    private static Map<String, Object> client(String listener, String protocol, Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>(extra);
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + BROKER.port(listener));
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol);
        return props;
    }

    private static Map<String, Object> plain(String user, String password) {
        return Map.of(
                SaslConfigs.SASL_MECHANISM,
                "PLAIN",
                SaslConfigs.SASL_JAAS_CONFIG,
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user + "\" password=\""
                        + password + "\";");
    }

    private static Map<String, Object> merged(Map<String, Object> a, Map<String, Object> b) {
        Map<String, Object> m = new HashMap<>(a);
        m.putAll(b);
        return m;
    }

    /** A topic created over PLAINTEXT, then produced to and consumed from through {@code client}. */
    private static void produceAndConsume(String topic, Map<String, Object> client) throws Exception {
        BROKER.createTopic(topic, 1, Map.of());
        try (KafkaProducer<String, String> producer = BROKER.producer(client)) {
            producer.send(new ProducerRecord<>(topic, "k", "over " + client.get("security.protocol")))
                    .get(30, TimeUnit.SECONDS);
        }
        try (KafkaConsumer<String, String> consumer = BROKER.consumer(client)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<String, String>> got = new java.util.ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (got.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(got::add);
            }
            assertThat(got)
                    .extracting(ConsumerRecord::value)
                    .containsExactly("over " + client.get("security.protocol"));
        }
    }

    private static Admin admin(Map<String, Object> client, int timeoutMs) {
        Map<String, Object> props = new HashMap<>(client);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(timeoutMs, 15_000));
        return Admin.create(props);
    }

    /** The broker still serves a PLAINTEXT client. */
    private static void assertBrokerHealthy() throws Exception {
        try (Admin admin = BROKER.admin()) {
            assertThat(admin.describeCluster().nodes().get(15, TimeUnit.SECONDS))
                    .hasSize(1);
        }
    }

    @Test
    void sslClientsProduceAndConsumeAndAreToldTheSslAddress() throws Exception {
        Map<String, Object> ssl = client("SSL", "SSL", tls());
        try (Admin admin = admin(ssl, 30_000)) {
            assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS))
                    .singleElement()
                    .satisfies(n -> assertThat(n.port()).isEqualTo(BROKER.port("SSL")));
        }
        produceAndConsume("over-ssl", ssl);
    }

    @Test
    void anSslConsumerReadsHistoryFromTheRemoteTier() throws Exception {
        String topic = "tiered-over-ssl";
        TopicPartition tp = new TopicPartition(topic, 0);
        BROKER.createTopic(topic, 1, Tiering.tieredTopic(16_384));
        // recent timestamps: time retention (7 days) must not take the history
        long baseTimestamp = System.currentTimeMillis();
        try (KafkaProducer<String, String> producer = BROKER.producer()) {
            Tiering.produce(producer, topic, 0, HISTORY, 1_000, baseTimestamp);
        }
        try (Admin admin = BROKER.admin()) {
            Tiering.awaitTiered(admin, BROKER.logDir(), tp, Duration.ofSeconds(60));
        }

        // the TLS handler encrypts buffers: the remote log files' regions are read into one for it
        try (KafkaConsumer<String, String> consumer = BROKER.consumer(client("SSL", "SSL", tls()))) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<String, String>> records = Await.records(consumer, HISTORY, Duration.ofSeconds(60));
            Tiering.assertRecords(records, 0, 1_000, baseTimestamp);
        }
    }

    @Test
    void withoutAnAuthorizerTheAclApisAnswerSecurityDisabled() throws Exception {
        try (Admin admin = BROKER.admin()) {
            assertThatThrownBy(() -> admin.describeAcls(org.apache.kafka.common.acl.AclBindingFilter.ANY)
                            .values()
                            .get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.SecurityDisabledException.class);
        }
    }

    @Test
    void aListenerWithAPemKeyStoreServesTls() throws Exception {
        produceAndConsume("over-pem", client("PEM", "SSL", tls()));
    }

    @Test
    void aClientWithACertificateConnectsToTheMutualTlsListener() throws Exception {
        Map<String, Object> mtls = client("MTLS", "SSL", tls());
        mtls.put(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, CERTS.clientKeystore.toString());
        mtls.put(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, TestCertificates.PASSWORD);
        mtls.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PKCS12");
        produceAndConsume("over-mtls", mtls);
    }

    @Test
    void aClientWithoutACertificateIsRefusedByTheMutualTlsListener() throws Exception {
        try (Admin admin = admin(client("MTLS", "SSL", tls()), 10_000)) {
            assertThatThrownBy(() -> admin.describeCluster().nodes().get(20, TimeUnit.SECONDS))
                    .hasRootCauseInstanceOf(javax.net.ssl.SSLException.class)
                    .cause()
                    .isInstanceOf(SslAuthenticationException.class);
        }
        assertBrokerHealthy();
    }

    @Test
    void saslPlaintextWithPlainUsers() throws Exception {
        produceAndConsume(
                "over-sasl-plaintext", client("SASL_PLAINTEXT", "SASL_PLAINTEXT", plain("alice", "alice-secret")));
    }

    @Test
    void saslSslWithPlainUsers() throws Exception {
        produceAndConsume("over-sasl-ssl", client("SASL_SSL", "SASL_SSL", merged(tls(), plain("bob", "bob-secret"))));
    }

    @Test
    void aWrongPasswordIsRefusedWithKafkasMessage() throws Exception {
        for (String listener : List.of("SASL_PLAINTEXT", "SASL_SSL")) {
            Map<String, Object> props = client(listener, listener, merged(tls(), plain("alice", "wrong")));
            try (Admin admin = admin(props, 10_000)) {
                assertThatThrownBy(() -> admin.describeCluster().nodes().get(20, TimeUnit.SECONDS))
                        .cause()
                        .isInstanceOf(SaslAuthenticationException.class)
                        .hasMessageContaining("Invalid username or password");
            }
        }
        assertBrokerHealthy();
    }

    @Test
    void failedAuthenticationsWaitForTheirAnswerWhileOtherClientsAreServed() throws Exception {
        List<KafkaWire> guessers = new java.util.ArrayList<>();
        try {
            byte[] wrong = "\u0000alice\u0000guess".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            for (int i = 0; i < 8; i++) {
                KafkaWire wire = KafkaWire.connect(BROKER.port("SASL_PLAINTEXT"));
                guessers.add(wire);
                SaslHandshakeResponse handshake = (SaslHandshakeResponse) wire.send(
                        new SaslHandshakeRequest.Builder(new SaslHandshakeRequestData().setMechanism("PLAIN")),
                        (short) 1);
                assertThat(handshake.data().errorCode()).isZero();
                wire.writeRaw(KafkaWire.frame(
                        new SaslAuthenticateRequest.Builder(new SaslAuthenticateRequestData().setAuthBytes(wrong))
                                .build((short) 2),
                        2,
                        "guesser"));
            }
            // while the guessers' answers are held back, a client with the right password is served
            produceAndConsume(
                    "served-while-guessing", client("SASL_PLAINTEXT", "SASL_PLAINTEXT", plain("bob", "bob-secret")));
            for (KafkaWire wire : guessers) {
                ByteBuffer frame = wire.readFrame(Duration.ofSeconds(30));
                SaslAuthenticateResponse failed = (SaslAuthenticateResponse) AbstractResponse.parseResponse(
                        frame, new RequestHeader(ApiKeys.SASL_AUTHENTICATE, (short) 2, "guesser", 1));
                assertThat(failed.data().errorCode()).isEqualTo(Errors.SASL_AUTHENTICATION_FAILED.code());
                assertThat(failed.data().errorMessage()).contains("Invalid username or password");
                assertThat(wire.awaitClosed(Duration.ofSeconds(10))).isTrue();
            }
        } finally {
            for (KafkaWire wire : guessers) {
                wire.close();
            }
        }
        assertBrokerHealthy();
    }

    @Test
    void aPlaintextClientOnTheTlsListenerGetsNothingAndTheBrokerCarriesOn() throws Exception {
        try (Admin admin = admin(client("SSL", "PLAINTEXT", Map.of()), 3_000)) {
            assertThatThrownBy(() -> admin.describeCluster().nodes().get(20, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
        }
        assertBrokerHealthy();
    }

    @Test
    void aRequestBeforeTheSaslHandshakeClosesTheConnection() throws Exception {
        try (KafkaWire wire = KafkaWire.connect(BROKER.port("SASL_PLAINTEXT"))) {
            wire.apiVersions();
            wire.writeRaw(KafkaWire.frame(MetadataRequest.Builder.allTopics().build((short) 12), 12, "early"));
            assertThat(wire.awaitClosed(Duration.ofSeconds(10))).isTrue();
        }
        assertBrokerHealthy();
    }

    @Test
    void anUnknownMechanismIsAnsweredWithTheEnabledOnesAndTheConnectionClosed() throws Exception {
        try (KafkaWire wire = KafkaWire.connect(BROKER.port("SASL_PLAINTEXT"))) {
            SaslHandshakeResponse response = (SaslHandshakeResponse) wire.send(
                    new SaslHandshakeRequest.Builder(new SaslHandshakeRequestData().setMechanism("SCRAM-SHA-512")),
                    (short) 1);
            assertThat(response.data().errorCode()).isEqualTo(Errors.UNSUPPORTED_SASL_MECHANISM.code());
            assertThat(response.data().mechanisms()).containsExactly("PLAIN");
            assertThat(wire.awaitClosed(Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void aVersionZeroHandshakeIsFollowedByARawPlainToken() throws Exception {
        try (KafkaWire wire = KafkaWire.connect(BROKER.port("SASL_PLAINTEXT"))) {
            SaslHandshakeResponse response = (SaslHandshakeResponse) wire.send(
                    new SaslHandshakeRequest.Builder(new SaslHandshakeRequestData().setMechanism("PLAIN")), (short) 0);
            assertThat(response.data().errorCode()).isZero();
            wire.writeFrame(java.nio.ByteBuffer.wrap(
                    "\u0000alice\u0000alice-secret".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            assertThat(wire.readFrame(Duration.ofSeconds(10)).remaining()).isZero();
            MetadataResponse metadata = (MetadataResponse) wire.send(MetadataRequest.Builder.allTopics(), (short) 12);
            assertThat(metadata.data().brokers()).singleElement().satisfies(b -> assertThat(b.port())
                    .isEqualTo(BROKER.port("SASL_PLAINTEXT")));
        }
    }

    /** librdkafka (kcat) over SASL_SSL with PLAIN: produce and consume; a wrong password fails. */
    @Test
    void kcatOverSaslSslWithPlain() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(kcat(List.of("-V"), "").exitCode() == 0, "kcat is not installed");
        BROKER.createTopic("kcat-sasl-ssl", 1, Map.of());
        Kcat produced = kcat(kcatSaslSsl("alice-secret", "-P", "-t", "kcat-sasl-ssl", "-p", "0"), "one\ntwo\n");
        assertThat(produced.exitCode()).as("kcat -P: %s", produced.output()).isZero();
        Kcat consumed = kcat(
                kcatSaslSsl("alice-secret", "-C", "-t", "kcat-sasl-ssl", "-o", "beginning", "-e", "-f", "%s\n"), "");
        assertThat(consumed.exitCode()).as("kcat -C: %s", consumed.output()).isZero();
        assertThat(consumed.output()).contains("one\ntwo\n");
        Kcat refused = kcat(kcatSaslSsl("wrong", "-L", "-m", "5"), "");
        assertThat(refused.exitCode())
                .as("kcat -L with a wrong password: %s", refused.output())
                .isNotZero();
        assertBrokerHealthy();
    }

    private record Kcat(int exitCode, String output) {}

    private static List<String> kcatSaslSsl(String password, String... args) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(
                "-b",
                "127.0.0.1:" + BROKER.port("SASL_SSL"),
                "-X",
                "security.protocol=SASL_SSL",
                "-X",
                "sasl.mechanisms=PLAIN",
                "-X",
                "sasl.username=alice",
                "-X",
                "sasl.password=" + password,
                "-X",
                "ssl.ca.location=" + CERTS.brokerKeystore.resolveSibling("broker.pem")));
        command.addAll(List.of(args));
        return command;
    }

    private static Kcat kcat(List<String> args, String stdin) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("kcat"));
        command.addAll(args);
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return new Kcat(-2, e.toString());
        }
        p.getOutputStream().write(stdin.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        p.getOutputStream().close();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Kcat(-1, new String(output, java.nio.charset.StandardCharsets.UTF_8));
        }
        return new Kcat(p.exitValue(), new String(output, java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void describeConfigsHidesKeyStorePasswordsAndJaasSettings() throws Exception {
        try (Admin admin = BROKER.admin()) {
            ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "1");
            Config config = admin.describeConfigs(List.of(broker))
                    .all()
                    .get(30, TimeUnit.SECONDS)
                    .get(broker);
            for (String name : List.of(
                    "listener.name.ssl.ssl.keystore.password",
                    "ssl.truststore.password",
                    "listener.name.pem.ssl.keystore.key",
                    "listener.name.sasl_plaintext.plain.sasl.jaas.config")) {
                ConfigEntry entry = config.get(name);
                assertThat(entry).as(name).isNotNull();
                assertThat(entry.isSensitive()).as(name).isTrue();
                assertThat(entry.value()).as(name).isNull();
            }
            assertThat(config.get("listener.name.ssl.ssl.keystore.location").value())
                    .isEqualTo(CERTS.brokerKeystore.toString());
        }
    }

    /** Whether a client of {@code listener} that trusts {@code truststore} alone completes a TLS handshake and a call. */
    private static boolean handshakes(String listener, java.nio.file.Path truststore) {
        Map<String, Object> props = client(
                listener,
                "SSL",
                Map.of(
                        SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG,
                        truststore.toString(),
                        SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG,
                        TestCertificates.PASSWORD,
                        SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG,
                        "JKS"));
        try (Admin admin = admin(props, 5_000)) {
            admin.describeCluster().nodes().get(10, TimeUnit.SECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof SslAuthenticationException) {
                return false;
            }
            throw new AssertionError("not a TLS refusal", e);
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    private static void alterRotateListener(Map<String, String> settings) throws Exception {
        List<org.apache.kafka.clients.admin.AlterConfigOp> ops = new java.util.ArrayList<>();
        settings.forEach((key, value) -> ops.add(new org.apache.kafka.clients.admin.AlterConfigOp(
                new ConfigEntry("listener.name.rotate." + key, value),
                org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET)));
        try (Admin admin = BROKER.admin()) {
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.BROKER, "1"), ops))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aReplacedKeyStoreFileOrADynamicUpdateServesTheNewCertificateWithoutARestart() throws Exception {
        TestCertificates.Signed signed = CERTS.signedBy("rotation-ca");
        assertThat(handshakes("ROTATE", CERTS.clientTruststore)).isTrue();
        assertThat(handshakes("ROTATE", signed.truststore())).isFalse();
        BROKER.createTopic("over-rotated-tls", 1, Map.of());
        try (KafkaProducer<String, String> before = BROKER.producer(client("ROTATE", "SSL", tls()));
                CapturedWarnings warnings = CapturedWarnings.of(dev.strata.broker.security.ReloadableSsl.class)) {
            before.send(new ProducerRecord<>("over-rotated-tls", "k", "before")).get(30, TimeUnit.SECONDS);

            // a broken file (a copy caught half-written) is refused with a WARN; the old certificate keeps serving
            java.nio.file.Files.write(ROTATED_KEYSTORE, new byte[] {1, 2, 3});
            dev.strata.testing.Await.until(
                    Duration.ofSeconds(30), "a WARN about the broken key store", () -> !warnings.messages()
                            .isEmpty());
            assertThat(warnings.messages().get(0)).contains("ROTATE").doesNotContain(TestCertificates.PASSWORD);
            assertThat(handshakes("ROTATE", CERTS.clientTruststore)).isTrue();

            // the file replaced by a key store a new authority signed: new connections get it
            java.nio.file.Files.copy(
                    signed.keystore(), ROTATED_KEYSTORE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            dev.strata.testing.Await.until(
                    Duration.ofSeconds(30),
                    "a client trusting only the new authority connects",
                    () -> handshakes("ROTATE", signed.truststore()));
            assertThat(handshakes("ROTATE", CERTS.clientTruststore)).isFalse();
            // the connection made before the rotation carries on
            before.send(new ProducerRecord<>("over-rotated-tls", "k", "after")).get(30, TimeUnit.SECONDS);
        }

        // dynamic updates of a garbage file, a wrong password, a certificate of another subject are refused
        java.nio.file.Path garbage = ROTATED_KEYSTORE.resolveSibling("garbage.p12");
        java.nio.file.Files.write(garbage, new byte[] {4, 5, 6});
        String original = CERTS.brokerKeystore.toString();
        for (Map<String, String> bad : List.of(
                Map.of("ssl.keystore.location", garbage.toString()),
                Map.of("ssl.keystore.location", original, "ssl.keystore.password", "not-the-store-secret"),
                Map.of("ssl.keystore.location", CERTS.clientKeystore.toString()))) {
            assertThatThrownBy(() -> alterRotateListener(bad))
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.InvalidRequestException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-the-store-secret"));
        }
        assertThat(handshakes("ROTATE", signed.truststore())).isTrue();

        // a good one through IncrementalAlterConfigs is in effect when the answer comes: the first certificate again
        alterRotateListener(Map.of("ssl.keystore.location", original));
        assertThat(handshakes("ROTATE", CERTS.clientTruststore)).isTrue();
        assertThat(handshakes("ROTATE", signed.truststore())).isFalse();
        try (Admin admin = BROKER.admin()) {
            Config described = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.BROKER, "1")))
                    .all()
                    .get(30, TimeUnit.SECONDS)
                    .values()
                    .iterator()
                    .next();
            assertThat(described.get("listener.name.rotate.ssl.keystore.location"))
                    .satisfies(e -> assertThat(e.isReadOnly()).isFalse())
                    .satisfies(e -> assertThat(e.value()).isEqualTo(original));
        }
    }
}
