package dev.strata.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.junit.jupiter.api.Test;

class PlainUsersTest {
    private static final PlainUsers USERS =
            PlainUsers.fromJaas("org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\""
                    + " password=\"admin-secret\" user_admin=\"admin-secret\" user_alice=\"alice-secret\";");

    private static byte[] token(String authzid, String user, String password) {
        return (authzid + "\u0000" + user + "\u0000" + password).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theUsersAreTheUserOptionsOfThePlainLoginModule() {
        assertThat(USERS.size()).isEqualTo(2);
        assertThat(USERS.authenticate(token("", "alice", "alice-secret"))).isEqualTo("alice");
        assertThat(USERS.authenticate(token("admin", "admin", "admin-secret"))).isEqualTo("admin");
    }

    @Test
    void wrongCredentialsGetKafkasMessages() {
        assertThatThrownBy(() -> USERS.authenticate(token("", "alice", "wrong")))
                .isInstanceOf(SaslAuthenticationException.class)
                .hasMessage("Authentication failed: Invalid username or password");
        assertThatThrownBy(() -> USERS.authenticate(token("", "mallory", "alice-secret")))
                .hasMessage("Authentication failed: Invalid username or password");
        assertThatThrownBy(() -> USERS.authenticate(token("", "", "x")))
                .hasMessage("Authentication failed: username not specified");
        assertThatThrownBy(() -> USERS.authenticate(token("", "alice", "")))
                .hasMessage("Authentication failed: password not specified");
        assertThatThrownBy(() -> USERS.authenticate("alice".getBytes(StandardCharsets.UTF_8)))
                .hasMessage("Invalid SASL/PLAIN response: expected 3 tokens, got 1");
        assertThatThrownBy(() -> USERS.authenticate(token("admin", "alice", "alice-secret")))
                .hasMessageContaining("authorization id that is different from username");
    }

    @Test
    void anotherLoginModuleIsRefused() {
        assertThatThrownBy(() -> PlainUsers.fromJaas("com.example.Other required user_a=\"b\";"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PlainLoginModule");
    }
}
