package dev.strata.broker.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.network.ConnectionAuthenticator.Admission;
import dev.strata.broker.security.InMemoryScramCredentials;
import dev.strata.broker.security.ListenerSecurity;
import dev.strata.broker.security.ScramMechanism;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.sasl.SaslClient;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.SaslAuthenticateRequest;
import org.apache.kafka.common.requests.SaslHandshakeRequest;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.scram.internals.ScramSaslClient;
import org.junit.jupiter.api.Test;

class ConnectionAuthenticatorTest {

    private static ListenerSecurity sasl() {
        BrokerConfig config = BrokerConfig.of(Map.of(
                "listeners", "SASL_PLAINTEXT://127.0.0.1:0",
                "sasl.enabled.mechanisms", "PLAIN",
                "listener.name.sasl_plaintext.plain.sasl.jaas.config",
                        "org.apache.kafka.common.security.plain.PlainLoginModule required user_alice=\"secret\";"));
        return ListenerSecurity.of(config, config.clientListeners().get(0), null);
    }

    private static AbstractRequest handshake(String mechanism, int version) {
        return new SaslHandshakeRequest.Builder(new SaslHandshakeRequestData().setMechanism(mechanism))
                .build((short) version);
    }

    private static AbstractRequest authenticate(String user, String password) {
        byte[] token = ("\u0000" + user + "\u0000" + password).getBytes(StandardCharsets.UTF_8);
        return new SaslAuthenticateRequest.Builder(new SaslAuthenticateRequestData().setAuthBytes(token))
                .build((short) 2);
    }

    private static AbstractRequest metadata() {
        return MetadataRequest.Builder.allTopics().build((short) 12);
    }

    private static Admission.Answer answer(Admission admission) {
        assertThat(admission).isInstanceOf(Admission.Answer.class);
        return (Admission.Answer) admission;
    }

    @Test
    void apiVersionsThenHandshakeThenAuthenticateThenEverything() {
        ConnectionAuthenticator auth = new ConnectionAuthenticator(sasl());
        assertThat(auth.admit(new ApiVersionsRequest.Builder().build((short) 3)))
                .isInstanceOf(Admission.Dispatch.class);
        Admission.Answer handshake = answer(auth.admit(handshake("PLAIN", 1)));
        assertThat(((SaslHandshakeResponseData) handshake.body()).errorCode()).isZero();
        assertThat(((SaslHandshakeResponseData) handshake.body()).mechanisms()).containsExactly("PLAIN");
        assertThat(handshake.closeReason()).isNull();
        Admission.Answer authenticated = answer(auth.admit(authenticate("alice", "secret")));
        assertThat(((SaslAuthenticateResponseData) authenticated.body()).errorCode())
                .isZero();
        assertThat(authenticated.closeReason()).isNull();
        assertThat(auth.principal()).isEqualTo(new KafkaPrincipal(KafkaPrincipal.USER_TYPE, "alice"));
        assertThat(auth.admit(metadata())).isInstanceOf(Admission.Dispatch.class);
        // a second handshake on an authenticated connection is refused, the connection kept
        Admission.Answer again = answer(auth.admit(handshake("PLAIN", 1)));
        assertThat(((SaslHandshakeResponseData) again.body()).errorCode()).isEqualTo(Errors.ILLEGAL_SASL_STATE.code());
        assertThat(again.closeReason()).isNull();
    }

    @Test
    void aRequestBeforeTheHandshakeClosesTheConnectionWithoutAnAnswer() {
        ConnectionAuthenticator auth = new ConnectionAuthenticator(sasl());
        assertThat(auth.admit(metadata())).isInstanceOfSatisfying(Admission.Close.class, c -> assertThat(c.reason())
                .contains("METADATA"));
    }

    @Test
    void aRequestBetweenHandshakeAndAuthenticateIsAnsweredIllegalSaslStateAndCloses() {
        ConnectionAuthenticator auth = new ConnectionAuthenticator(sasl());
        auth.admit(handshake("PLAIN", 1));
        Admission.Answer refused = answer(auth.admit(new ApiVersionsRequest.Builder().build((short) 3)));
        assertThat(((ApiVersionsResponseData) refused.body()).errorCode()).isEqualTo(Errors.ILLEGAL_SASL_STATE.code());
        assertThat(refused.closeReason()).contains("during SASL authentication");
    }

    @Test
    void anUnknownMechanismIsAnsweredWithTheEnabledOnesAndCloses() {
        ConnectionAuthenticator auth = new ConnectionAuthenticator(sasl());
        Admission.Answer refused = answer(auth.admit(handshake("SCRAM-SHA-512", 1)));
        SaslHandshakeResponseData body = (SaslHandshakeResponseData) refused.body();
        assertThat(body.errorCode()).isEqualTo(Errors.UNSUPPORTED_SASL_MECHANISM.code());
        assertThat(body.mechanisms()).containsExactly("PLAIN");
        assertThat(refused.closeReason()).contains("SCRAM-SHA-512");
    }

    @Test
    void aWrongPasswordIsAnsweredSaslAuthenticationFailedAndCloses() {
        ConnectionAuthenticator auth = new ConnectionAuthenticator(sasl());
        auth.admit(handshake("PLAIN", 1));
        Admission.Answer refused = answer(auth.admit(authenticate("alice", "wrong")));
        SaslAuthenticateResponseData body = (SaslAuthenticateResponseData) refused.body();
        assertThat(body.errorCode()).isEqualTo(Errors.SASL_AUTHENTICATION_FAILED.code());
        assertThat(body.errorMessage()).isEqualTo("Authentication failed: Invalid username or password");
        assertThat(refused.closeReason()).isNotNull().doesNotContain("wrong");
        assertThat(auth.principal()).isEqualTo(KafkaPrincipal.ANONYMOUS);
    }

    @Test
    void afterAVersionZeroHandshakeTheNextFrameIsARawToken() {
        ConnectionAuthenticator auth = new ConnectionAuthenticator(sasl());
        auth.admit(handshake("PLAIN", 0));
        assertThat(auth.expectsRawToken()).isTrue();
        byte[] answer = auth.rawToken(ByteBuffer.wrap("\u0000alice\u0000secret".getBytes(StandardCharsets.UTF_8)));
        assertThat(answer).isEmpty();
        assertThat(auth.expectsRawToken()).isFalse();
        assertThat(auth.principal().getName()).isEqualTo("alice");

        ConnectionAuthenticator wrong = new ConnectionAuthenticator(sasl());
        wrong.admit(handshake("PLAIN", 0));
        assertThatThrownBy(
                        () -> wrong.rawToken(ByteBuffer.wrap("\u0000alice\u0000nope".getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(SaslAuthenticationException.class);
    }

    @Test
    void aPlaintextListenerIsAuthenticatedAtOnceAndRefusesSasl() {
        ConnectionAuthenticator auth = new ConnectionAuthenticator(ListenerSecurity.plaintext("PLAINTEXT"));
        assertThat(auth.admit(metadata())).isInstanceOf(Admission.Dispatch.class);
        assertThat(auth.principal()).isEqualTo(KafkaPrincipal.ANONYMOUS);
        Admission.Answer refused = answer(auth.admit(authenticate("alice", "secret")));
        assertThat(((SaslAuthenticateResponseData) refused.body()).errorCode())
                .isEqualTo(Errors.ILLEGAL_SASL_STATE.code());
        assertThat(refused.closeReason()).isNull();
    }

    private static ListenerSecurity scramWithReauth(long reauthMs) {
        BrokerConfig config = BrokerConfig.of(Map.of(
                "listeners", "SASL_PLAINTEXT://127.0.0.1:0",
                "sasl.enabled.mechanisms", "SCRAM-SHA-256,SCRAM-SHA-512",
                "listener.name.sasl_plaintext.connections.max.reauth.ms", Long.toString(reauthMs),
                "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required;"));
        InMemoryScramCredentials users = new InMemoryScramCredentials()
                .with("alice", "alice-secret", ScramMechanism.SCRAM_SHA_256, 4096)
                .with("alice", "alice-secret", ScramMechanism.SCRAM_SHA_512, 4096)
                .with("bob", "bob-secret", ScramMechanism.SCRAM_SHA_256, 4096);
        return ListenerSecurity.of(config, config.clientListeners().get(0), users);
    }

    /** Kafka's own SCRAM client, kafka-clients' ScramSaslClient. */
    private static SaslClient scramClient(String mechanism, String user, String password) throws Exception {
        return new ScramSaslClient(
                org.apache.kafka.common.security.scram.internals.ScramMechanism.forMechanismName(mechanism),
                callbacks -> {
                    for (Callback c : callbacks) {
                        if (c instanceof NameCallback name) {
                            name.setName(user);
                        } else if (c instanceof PasswordCallback pw) {
                            pw.setPassword(password.toCharArray());
                        }
                    }
                });
    }

    /** A SCRAM login through SaslHandshake v1 and SaslAuthenticate v2; the last answer. */
    private static SaslAuthenticateResponseData scramLogin(
            ConnectionAuthenticator auth, String mechanism, String user, String password) throws Exception {
        SaslClient client = scramClient(mechanism, user, password);
        assertThat(((SaslHandshakeResponseData)
                                answer(auth.admit(handshake(mechanism, 1))).body())
                        .errorCode())
                .isZero();
        byte[] token = client.evaluateChallenge(new byte[0]);
        SaslAuthenticateResponseData response;
        do {
            response = (SaslAuthenticateResponseData) answer(auth.admit(
                            new SaslAuthenticateRequest.Builder(new SaslAuthenticateRequestData().setAuthBytes(token))
                                    .build((short) 2)))
                    .body();
            if (response.errorCode() != 0) {
                return response;
            }
            token = client.evaluateChallenge(response.authBytes());
        } while (!client.isComplete());
        return response;
    }

    @Test
    void kafkasScramClientAuthenticatesInTwoStepsAndIsToldTheSessionLifetime() throws Exception {
        AtomicLong now = new AtomicLong(-5_000_000_000L); // nanoTime may be negative
        ConnectionAuthenticator auth = new ConnectionAuthenticator(scramWithReauth(60_000), now::get);
        SaslAuthenticateResponseData done = scramLogin(auth, "SCRAM-SHA-512", "alice", "alice-secret");
        assertThat(done.errorCode()).isZero();
        assertThat(done.sessionLifetimeMs()).isEqualTo(60_000);
        assertThat(auth.principal()).isEqualTo(new KafkaPrincipal(KafkaPrincipal.USER_TYPE, "alice"));
        assertThat(auth.admit(metadata())).isInstanceOf(Admission.Dispatch.class);

        // re-authentication on the same connection, before the session ends, starts a new session
        now.addAndGet(TimeUnit.SECONDS.toNanos(55));
        assertThat(scramLogin(auth, "SCRAM-SHA-512", "alice", "alice-secret").errorCode())
                .isZero();
        now.addAndGet(TimeUnit.SECONDS.toNanos(55));
        assertThat(auth.admit(metadata())).isInstanceOf(Admission.Dispatch.class);

        // a session that expires without re-authentication closes the connection at its next request
        now.addAndGet(TimeUnit.SECONDS.toNanos(6));
        assertThat(auth.admit(metadata())).isInstanceOfSatisfying(Admission.Close.class, c -> assertThat(c.reason())
                .contains("expired"));
    }

    @Test
    void reAuthenticationMustKeepTheMechanismAndThePrincipal() throws Exception {
        AtomicLong now = new AtomicLong();
        ConnectionAuthenticator auth = new ConnectionAuthenticator(scramWithReauth(10_000), now::get);
        assertThat(scramLogin(auth, "SCRAM-SHA-256", "alice", "alice-secret").errorCode())
                .isZero();
        now.addAndGet(TimeUnit.SECONDS.toNanos(2));
        SaslAuthenticateResponseData asBob = scramLogin(auth, "SCRAM-SHA-256", "bob", "bob-secret");
        assertThat(asBob.errorCode()).isEqualTo(Errors.SASL_AUTHENTICATION_FAILED.code());
        assertThat(asBob.errorMessage())
                .isEqualTo("Cannot change principals during re-authentication from User:alice: User:bob");

        ConnectionAuthenticator other = new ConnectionAuthenticator(scramWithReauth(10_000), now::get);
        assertThat(scramLogin(other, "SCRAM-SHA-256", "alice", "alice-secret").errorCode())
                .isZero();
        now.addAndGet(TimeUnit.SECONDS.toNanos(2));
        Admission.Answer refused = answer(other.admit(handshake("SCRAM-SHA-512", 1)));
        assertThat(((SaslHandshakeResponseData) refused.body()).errorCode())
                .isEqualTo(Errors.UNSUPPORTED_SASL_MECHANISM.code());
        assertThat(refused.closeReason()).contains("re-authentication");
    }

    @Test
    void withoutConnectionsMaxReauthMsSessionsNeverEndAndAWrongScramPasswordFails() throws Exception {
        AtomicLong now = new AtomicLong();
        ConnectionAuthenticator auth = new ConnectionAuthenticator(scramWithReauth(0), now::get);
        SaslAuthenticateResponseData done = scramLogin(auth, "SCRAM-SHA-256", "alice", "alice-secret");
        assertThat(done.sessionLifetimeMs()).isZero();
        now.addAndGet(TimeUnit.DAYS.toNanos(400));
        assertThat(auth.admit(metadata())).isInstanceOf(Admission.Dispatch.class);

        ConnectionAuthenticator wrong = new ConnectionAuthenticator(scramWithReauth(0), now::get);
        SaslAuthenticateResponseData refused = scramLogin(wrong, "SCRAM-SHA-256", "alice", "nope");
        assertThat(refused.errorCode()).isEqualTo(Errors.SASL_AUTHENTICATION_FAILED.code());
        assertThat(refused.errorMessage())
                .isEqualTo("Authentication failed during authentication due to invalid credentials with SASL"
                        + " mechanism SCRAM-SHA-256");
    }

    @Test
    void afterAVersionZeroHandshakeScramTakesTwoRawTokens() throws Exception {
        ConnectionAuthenticator auth = new ConnectionAuthenticator(scramWithReauth(0));
        SaslClient client = scramClient("SCRAM-SHA-256", "alice", "alice-secret");
        auth.admit(handshake("SCRAM-SHA-256", 0));
        byte[] serverFirst = auth.rawToken(ByteBuffer.wrap(client.evaluateChallenge(new byte[0])));
        assertThat(auth.expectsRawToken()).isTrue();
        byte[] serverFinal = auth.rawToken(ByteBuffer.wrap(client.evaluateChallenge(serverFirst)));
        client.evaluateChallenge(serverFinal); // verifies the server's signature
        assertThat(client.isComplete()).isTrue();
        assertThat(auth.expectsRawToken()).isFalse();
        assertThat(auth.authenticated()).isTrue();
        assertThat(auth.principal().getName()).isEqualTo("alice");
    }
}
