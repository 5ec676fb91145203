package dev.strata.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.config.BrokerConfig;
import java.util.HashMap;
import java.util.Map;
import javax.security.sasl.SaslClient;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** A broker logs in to the others as its inter-broker listener's JAAS username, with the mechanism it is told. */
class InterBrokerSecurityTest {
    private static final String SCRAM_JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required"
            + " username=\"broker\" password=\"broker-secret\";";

    private static Map<String, String> cluster(String mechanism, String jaas) {
        Map<String, String> m = new HashMap<>();
        m.put("node.id", "1");
        m.put("process.roles", "broker,controller");
        m.put("listeners", "INTERNAL://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093");
        m.put("listener.security.protocol.map", "INTERNAL:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT");
        m.put("controller.listener.names", "CONTROLLER");
        m.put("controller.quorum.voters", "1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097");
        m.put("inter.broker.listener.name", "INTERNAL");
        m.put("sasl.enabled.mechanisms", "SCRAM-SHA-512,PLAIN");
        m.put("listener.name.internal.scram-sha-512.sasl.jaas.config", SCRAM_JAAS);
        m.put(
                "listener.name.internal.plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required user_broker=\"broker-secret\";");
        if (mechanism != null) {
            m.put("sasl.mechanism.inter.broker.protocol", mechanism);
        }
        if (jaas != null) {
            m.put("listener.name.internal." + mechanism.toLowerCase(java.util.Locale.ROOT) + ".sasl.jaas.config", jaas);
        }
        return m;
    }

    private static InterBrokerSecurity forNode(Map<String, String> settings, ScramCredentialStore scram) {
        BrokerConfig config = BrokerConfig.of(settings);
        return InterBrokerSecurity.forNode(config, ListenerSecurity.of(config, config.interBrokerListener(), scram));
    }

    @Test
    void aScramLoginIsAcceptedByTheOtherBrokersScramServer() throws Exception {
        InMemoryScramCredentials users =
                new InMemoryScramCredentials().with("broker", "broker-secret", ScramMechanism.SCRAM_SHA_512, 4096);
        InterBrokerSecurity security = forNode(cluster("SCRAM-SHA-512", null), users);
        ScramServer server = new ScramServer(ScramMechanism.SCRAM_SHA_512, users);

        SaslClient client = security.newSaslClient();
        byte[] token = client.evaluateChallenge(new byte[0]);
        while (!server.complete()) {
            byte[] challenge = server.evaluate(token);
            token = client.evaluateChallenge(challenge);
        }
        assertThat(server.user()).isEqualTo("broker");
        assertThat(client.isComplete()).isTrue();
    }

    @Test
    void aWrongPasswordIsRefusedByTheServer() throws Exception {
        InMemoryScramCredentials users =
                new InMemoryScramCredentials().with("broker", "another-secret", ScramMechanism.SCRAM_SHA_512, 4096);
        SaslClient client = forNode(cluster("SCRAM-SHA-512", null), users).newSaslClient();
        ScramServer server = new ScramServer(ScramMechanism.SCRAM_SHA_512, users);

        byte[] serverFirst = server.evaluate(client.evaluateChallenge(new byte[0]));
        byte[] clientFinal = client.evaluateChallenge(serverFirst);
        assertThatThrownBy(() -> server.evaluate(clientFinal)).isInstanceOf(RuntimeException.class);
    }

    @Test
    void aPlainLoginIsTheJaasUserAndPassword() throws Exception {
        String jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"broker\""
                + " password=\"broker-secret\" user_broker=\"broker-secret\";";
        SaslClient client = forNode(cluster("PLAIN", jaas), null).newSaslClient();
        assertThat(new String(client.evaluateChallenge(new byte[0]), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("\0broker\0broker-secret");
    }

    @Test
    void aClusterNodeWithoutAUsableMechanismOrLoginDoesNotStart() {
        assertThatThrownBy(() -> forNode(cluster(null, null), null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("sasl.mechanism.inter.broker.protocol")
                .hasMessageContaining("GSSAPI");
        assertThatThrownBy(() -> forNode(cluster("SCRAM-SHA-256", null), null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("not among the mechanisms");
        String noPassword = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"broker\""
                + " user_broker=\"do-not-print-me\";";
        assertThatThrownBy(() -> forNode(cluster("PLAIN", noPassword), null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("listener.name.internal.plain.sasl.jaas.config")
                .hasMessageContaining("no password")
                .hasMessageNotContaining("do-not-print-me");
    }

    @Test
    void aLoneNodeStartsWithoutALoginItHasNoBrokerToUseWith() {
        Map<String, String> alone = cluster(null, null);
        alone.put("controller.quorum.voters", "1@127.0.0.1:9093");
        assertThat(forNode(alone, null).mechanism()).contains("");
    }
}
