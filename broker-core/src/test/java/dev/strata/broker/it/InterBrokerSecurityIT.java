package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Ports;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster of three whose brokers reach each other on a SASL_SSL listener (INTERNAL: TLS, PLAIN login as
 * {@code User:broker}) and serve clients on a PLAINTEXT one too (EXTERNAL), whose metadata quorum speaks mutual TLS
 * (CONTROLLER: SSL), with the ACL authorizer on: replication
 * runs over TLS and SASL as the brokers' own principal, and a client on either listener is told every broker's
 * address on that listener, as Kafka's brokers register one endpoint per listener.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RunsAlone
class InterBrokerSecurityIT {

    private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " username=\"broker\" password=\"broker-secret\""
            + " user_broker=\"broker-secret\" user_admin=\"admin-secret\";";

    @TempDir
    static Path dir;

    private static TestCertificates certs;
    private static TestCluster cluster;
    private static final int[] INTERNAL = new int[3];

    @BeforeAll
    static void startCluster() throws Exception {
        certs = TestCertificates.create(java.nio.file.Files.createDirectories(dir.resolve("certs")));
        for (int i = 0; i < INTERNAL.length; i++) {
            INTERNAL[i] = Ports.free();
        }
        Map<String, String> settings = new HashMap<>();
        settings.put("listener.security.protocol.map", "EXTERNAL:PLAINTEXT,INTERNAL:SASL_SSL,CONTROLLER:SSL");
        settings.put("inter.broker.listener.name", "INTERNAL");
        settings.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
        settings.put("sasl.enabled.mechanisms", "PLAIN");
        settings.put("listener.name.internal.plain.sasl.jaas.config", JAAS);
        // brokers and voters present the broker certificate and trust it in each other (the clients' trust store
        // holds it): on INTERNAL (SASL_SSL) and on the metadata quorum's listener (SSL, mutual TLS)
        for (String listener : List.of("internal", "controller")) {
            String prefix = "listener.name." + listener + ".";
            settings.put(prefix + "ssl.keystore.type", "PKCS12");
            settings.put(prefix + "ssl.keystore.location", certs.brokerKeystore.toString());
            settings.put(prefix + "ssl.keystore.password", TestCertificates.PASSWORD);
            settings.put(prefix + "ssl.truststore.type", "JKS");
            settings.put(prefix + "ssl.truststore.location", certs.clientTruststore.toString());
            settings.put(prefix + "ssl.truststore.password", TestCertificates.PASSWORD);
        }
        settings.put("authorizer.class.name", "dev.strata.broker.security.AclAuthorizer");
        settings.put("super.users", "User:broker;User:admin");
        settings.put("allow.everyone.if.no.acl.found", "true");
        cluster = TestCluster.start(dir, 3, settings, (node, config) -> {
            String internal = ",INTERNAL://127.0.0.1:" + INTERNAL[node - 1];
            config.put("listeners", config.get("listeners").replace("PLAINTEXT://", "EXTERNAL://") + internal);
            config.put(
                    "advertised.listeners",
                    config.get("advertised.listeners").replace("PLAINTEXT://", "EXTERNAL://") + internal);
        });
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Admin internalAdmin() {
        Properties props = new Properties();
        props.putAll(internalClient("admin", "admin-secret"));
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000);
        return Admin.create(props);
    }

    private static Map<String, Object> internalClient(String user, String password) {
        Map<String, Object> props = new HashMap<>();
        props.put(
                CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG,
                "127.0.0.1:" + INTERNAL[0] + ",127.0.0.1:" + INTERNAL[1] + ",127.0.0.1:" + INTERNAL[2]);
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
        props.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, certs.clientTruststore.toString());
        props.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, TestCertificates.PASSWORD);
        props.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "JKS");
        props.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
        props.put(
                SaslConfigs.SASL_JAAS_CONFIG,
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user + "\" password=\""
                        + password + "\";");
        return props;
    }

    @Test
    @Order(1)
    void aClientIsToldEveryBrokersAddressOnTheListenerItConnectedTo() throws Exception {
        try (Admin external = cluster.admin();
                Admin internal = internalAdmin()) {
            assertThat(external.describeCluster().nodes().get())
                    .extracting(Node::port)
                    .containsExactlyInAnyOrder(cluster.port(1), cluster.port(2), cluster.port(3));
            assertThat(internal.describeCluster().nodes().get())
                    .extracting(Node::port)
                    .containsExactlyInAnyOrder(INTERNAL[0], INTERNAL[1], INTERNAL[2]);
        }
    }

    @Test
    @Order(3)
    void theQuorumTakesOnlyTlsPeersThatPresentATrustedCertificate() throws Exception {
        int port = cluster.controllerPort(2);
        // no TLS at all: the voter answers nothing a plaintext gRPC client could use, and closes the connection
        try (java.net.Socket plain = new java.net.Socket("127.0.0.1", port)) {
            plain.setSoTimeout(10_000);
            plain.getOutputStream()
                    .write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] answer = plain.getInputStream().readNBytes(64);
            assertThat(new String(answer, java.nio.charset.StandardCharsets.ISO_8859_1))
                    .doesNotContain("HTTP/2");
        }
        // TLS without a client certificate: the handshake (or the first read after it, in TLS 1.3) fails
        javax.net.ssl.SSLContext noCertificate = javax.net.ssl.SSLContext.getInstance("TLS");
        javax.net.ssl.TrustManagerFactory trust =
                javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        java.security.KeyStore store = java.security.KeyStore.getInstance("JKS");
        try (var in = java.nio.file.Files.newInputStream(certs.clientTruststore)) {
            store.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        trust.init(store);
        noCertificate.init(null, trust.getTrustManagers(), null);
        try (javax.net.ssl.SSLSocket tls =
                (javax.net.ssl.SSLSocket) noCertificate.getSocketFactory().createSocket("127.0.0.1", port)) {
            tls.setSoTimeout(10_000);
            tls.setEnabledProtocols(new String[] {"TLSv1.2"});
            tls.setSSLParameters(withAlpn(tls.getSSLParameters()));
            org.assertj.core.api.Assertions.assertThatThrownBy(tls::startHandshake)
                    .isInstanceOf(java.io.IOException.class);
        }
        // with the broker certificate the same handshake succeeds: the voter speaks TLS and asks for a certificate
        java.security.KeyStore own = java.security.KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(certs.brokerKeystore)) {
            own.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        javax.net.ssl.KeyManagerFactory keys =
                javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        keys.init(own, TestCertificates.PASSWORD.toCharArray());
        javax.net.ssl.SSLContext withCertificate = javax.net.ssl.SSLContext.getInstance("TLS");
        withCertificate.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        try (javax.net.ssl.SSLSocket tls =
                (javax.net.ssl.SSLSocket) withCertificate.getSocketFactory().createSocket("127.0.0.1", port)) {
            tls.setSoTimeout(10_000);
            tls.setEnabledProtocols(new String[] {"TLSv1.2"});
            tls.setSSLParameters(withAlpn(tls.getSSLParameters()));
            tls.startHandshake();
            assertThat(tls.getSession().getPeerCertificates()).isNotEmpty();
        }
        assertThat(cluster.isAlive(2)).isTrue();
    }

    private static javax.net.ssl.SSLParameters withAlpn(javax.net.ssl.SSLParameters parameters) {
        parameters.setApplicationProtocols(new String[] {"h2"});
        return parameters;
    }

    @Test
    @Order(2)
    void replicationRunsOverTlsAndSaslAsTheBrokersOwnPrincipal() throws Exception {
        cluster.createTopic("replicated", 3, 3);
        try (Admin admin = internalAdmin()) {
            // an ACL on the cluster: from now on only super users may CLUSTER_ACTION, as a follower's fetch needs
            admin.createAcls(List.of(new AclBinding(
                            new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL),
                            new AccessControlEntry("User:admin", "*", AclOperation.DESCRIBE, AclPermissionType.ALLOW))))
                    .all()
                    .get();
        }
        Map<String, Object> producerProps = TestCluster.producerSettings("unused");
        producerProps.putAll(internalClient("admin", "admin-secret"));
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(producerProps, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 300; i++) {
                producer.send(new ProducerRecord<>("replicated", "k" + i, "v" + i))
                        .get();
            }
        }
        try (Admin admin = internalAdmin()) {
            for (int p = 0; p < 3; p++) {
                TopicPartition tp = new TopicPartition("replicated", p);
                cluster.awaitIsr(admin, tp, "all three in sync", isr -> isr.equals(List.of(1, 2, 3)));
            }
        }
        // the records are on every replica: stop each leader in turn and read them all from the others
        assertThat(cluster.readKeys("replicated")).hasSize(300);
        cluster.stop(1);
        try {
            assertThat(cluster.readKeys("replicated")).hasSize(300).contains("k0", "k299");
        } finally {
            cluster.restart(1);
        }
        assertThat(Set.of(cluster.output(2), cluster.output(3)))
                .noneMatch(out -> out.contains("refused this broker's SASL"));
    }
}
