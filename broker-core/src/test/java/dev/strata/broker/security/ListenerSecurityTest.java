package dev.strata.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.config.BrokerConfig;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.junit.jupiter.api.Test;

class ListenerSecurityTest {
    private static final String JAAS =
            "org.apache.kafka.common.security.plain.PlainLoginModule required user_alice=\"alice-secret\";";

    private static ListenerSecurity of(Map<String, String> settings, String listener) {
        BrokerConfig config = BrokerConfig.of(settings);
        return ListenerSecurity.of(
                config,
                config.clientListeners().stream()
                        .filter(l -> l.name().equals(listener))
                        .findFirst()
                        .orElseThrow(),
                null);
    }

    private static Map<String, String> withListeners(String listeners, String... more) {
        Map<String, String> m = new HashMap<>();
        m.put("listeners", listeners);
        for (int i = 0; i < more.length; i += 2) {
            m.put(more[i], more[i + 1]);
        }
        return m;
    }

    @Test
    void aTlsListenerWithoutAKeyStoreNamesTheSetting() {
        assertThatThrownBy(() -> of(withListeners("SSL://:1"), "SSL"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("ssl.keystore.location")
                .hasMessageContaining("listener.name.ssl.ssl.keystore.location");
    }

    @Test
    void anUnreadableKeyStoreIsAConfigErrorWithoutThePassword() {
        assertThatThrownBy(() -> of(
                        withListeners(
                                "SSL://:1",
                                "ssl.keystore.location",
                                "/no/such/keystore.p12",
                                "ssl.keystore.password",
                                "do-not-print-me"),
                        "SSL"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("SSL")
                .hasMessageNotContaining("do-not-print-me");
    }

    @Test
    void saslListenersNeedPlainAndItsJaasUsers() {
        assertThatThrownBy(() -> of(withListeners("SASL_PLAINTEXT://:1"), "SASL_PLAINTEXT"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("GSSAPI is not supported");
        assertThatThrownBy(() ->
                        of(withListeners("SASL_PLAINTEXT://:1", "sasl.enabled.mechanisms", "PLAIN"), "SASL_PLAINTEXT"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("listener.name.sasl_plaintext.plain.sasl.jaas.config");
        assertThatThrownBy(() -> of(
                        withListeners(
                                "SASL_PLAINTEXT://:1",
                                "sasl.enabled.mechanisms",
                                "PLAIN",
                                "listener.name.sasl_plaintext.plain.sasl.jaas.config",
                                "org.apache.kafka.common.security.plain.PlainLoginModule required user_x=\"leak"),
                        "SASL_PLAINTEXT"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("listener.name.sasl_plaintext.plain.sasl.jaas.config")
                .hasMessageNotContaining("leak");
        ListenerSecurity sasl = of(
                withListeners(
                        "SASL_PLAINTEXT://:1",
                        "sasl.enabled.mechanisms",
                        "PLAIN",
                        "listener.name.sasl_plaintext.plain.sasl.jaas.config",
                        JAAS),
                "SASL_PLAINTEXT");
        assertThat(sasl.usesSasl()).isTrue();
        assertThat(sasl.usesTls()).isFalse();
        assertThat(sasl.mechanisms()).containsExactly("PLAIN");
        assertThat(sasl.plainUsers().orElseThrow().size()).isEqualTo(1);
    }

    @Test
    void scramNeedsTheScramLoginModuleForEachMechanismAndTakesUsersFromTheStore() {
        String scramJaas = "org.apache.kafka.common.security.scram.ScramLoginModule required;";
        assertThatThrownBy(() -> of(
                        withListeners("SASL_PLAINTEXT://:1", "sasl.enabled.mechanisms", "SCRAM-SHA-256,SCRAM-SHA-512"),
                        "SASL_PLAINTEXT"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config");
        assertThatThrownBy(() -> of(
                        withListeners(
                                "SASL_PLAINTEXT://:1",
                                "sasl.enabled.mechanisms",
                                "SCRAM-SHA-512",
                                "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config",
                                JAAS),
                        "SASL_PLAINTEXT"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("ScramLoginModule")
                .hasMessageNotContaining("alice-secret");
        assertThatThrownBy(() -> of(
                        withListeners("SASL_PLAINTEXT://:1", "sasl.enabled.mechanisms", "SCRAM-SHA-1"),
                        "SASL_PLAINTEXT"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("SCRAM-SHA-1 is not supported");
        ListenerSecurity scram = of(
                withListeners(
                        "SASL_PLAINTEXT://:1",
                        "sasl.enabled.mechanisms",
                        "SCRAM-SHA-512,PLAIN",
                        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config",
                        scramJaas,
                        "listener.name.sasl_plaintext.plain.sasl.jaas.config",
                        JAAS,
                        "connections.max.reauth.ms",
                        "60000"),
                "SASL_PLAINTEXT");
        assertThat(scram.mechanisms()).containsExactly("SCRAM-SHA-512", "PLAIN");
        assertThat(scram.newExchange("SCRAM-SHA-512")).isInstanceOf(ScramServer.class);
        assertThat(scram.reauthenticationMs()).isEqualTo(60_000);
        assertThatThrownBy(() -> scram.newExchange("SCRAM-SHA-256")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theTlsPrincipalIsTheCertificateSubjectThroughTheMappingRules() {
        ListenerSecurity defaults = ListenerSecurity.withPrincipalRules("DEFAULT");
        assertThat(defaults.tlsPrincipal(session(new X500Principal("CN=alice,OU=clients,O=Strata"))))
                .isEqualTo(new KafkaPrincipal(KafkaPrincipal.USER_TYPE, "CN=alice,OU=clients,O=Strata"));
        ListenerSecurity mapped = ListenerSecurity.withPrincipalRules("RULE:^CN=(.*?),OU=.*$/$1/U,DEFAULT");
        assertThat(mapped.tlsPrincipal(session(new X500Principal("CN=alice,OU=clients,O=Strata"))))
                .isEqualTo(new KafkaPrincipal(KafkaPrincipal.USER_TYPE, "ALICE"));
        assertThat(defaults.tlsPrincipal(session(null))).isEqualTo(KafkaPrincipal.ANONYMOUS);
    }

    /** A TLS session whose only answer is its peer's principal; none throws as the JDK does. */
    private static SSLSession session(X500Principal peer) {
        return (SSLSession) Proxy.newProxyInstance(
                SSLSession.class.getClassLoader(), new Class<?>[] {SSLSession.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getPeerPrincipal")) {
                        if (peer == null) {
                            throw new SSLPeerUnverifiedException("no certificate");
                        }
                        return peer;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
