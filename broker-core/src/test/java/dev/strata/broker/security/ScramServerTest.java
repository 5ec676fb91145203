package dev.strata.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The SCRAM server against hand-built client messages: RFC 5802's exchange succeeds for both hashes (and matches RFC
 * 7677's SHA-256 test vector), and every deviation Kafka refuses is refused with Kafka's one message.
 */
class ScramServerTest {
    private static final String FAILED =
            "Authentication failed during authentication due to invalid credentials with SASL mechanism ";
    private static final String CLIENT_NONCE = "rOprNGfwEbeRWgbNEkqO";

    private final InMemoryScramCredentials store = new InMemoryScramCredentials()
            .with("alice", "alice-secret", ScramMechanism.SCRAM_SHA_256, 4096)
            .with("alice", "alice-secret", ScramMechanism.SCRAM_SHA_512, 8192)
            .with("weak", "weak-secret", ScramMechanism.SCRAM_SHA_256, 1024);

    /** What a client computes after the server's first message (RFC 5802 section 3). */
    private record Client(ScramMechanism mechanism, String password, String clientFirstBare, String gs2) {
        static Client of(ScramMechanism mechanism, String user, String password) {
            return new Client(mechanism, password, "n=" + user + ",r=" + CLIENT_NONCE, "n,,");
        }

        byte[] first() {
            return bytes(gs2 + clientFirstBare);
        }

        String finalMessage(String serverFirst, String channel, String nonce) {
            String[] parts = serverFirst.split(",");
            byte[] salt = Base64.getDecoder().decode(parts[1].substring(2));
            int iterations = Integer.parseInt(parts[2].substring(2));
            byte[] salted = mechanism.saltedPassword(password, salt, iterations);
            byte[] clientKey = mechanism.hmac(salted, bytes("Client Key"));
            String withoutProof = "c=" + channel + ",r=" + nonce;
            byte[] signature = mechanism.hmac(
                    mechanism.hash(clientKey), bytes(clientFirstBare + "," + serverFirst + "," + withoutProof));
            for (int i = 0; i < clientKey.length; i++) {
                clientKey[i] ^= signature[i];
            }
            return withoutProof + ",p=" + Base64.getEncoder().encodeToString(clientKey);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static String nonceOf(String serverFirst) {
        return serverFirst.split(",")[0].substring(2);
    }

    @ParameterizedTest
    @EnumSource(ScramMechanism.class)
    void theRightPasswordAuthenticatesAndTheServerProvesItKnowsTheKey(ScramMechanism mechanism) {
        ScramServer server = new ScramServer(mechanism, store);
        Client client = Client.of(mechanism, "alice", "alice-secret");
        String serverFirst = text(server.evaluate(client.first()));
        assertThat(serverFirst).startsWith("r=" + CLIENT_NONCE).contains(",s=").contains(",i=");
        assertThat(server.complete()).isFalse();

        String serverFinal =
                text(server.evaluate(bytes(client.finalMessage(serverFirst, "biws", nonceOf(serverFirst)))));

        assertThat(server.complete()).isTrue();
        assertThat(server.user()).isEqualTo("alice");
        assertThat(serverFinal).startsWith("v=");
        assertThatThrownBy(() -> server.evaluate(bytes("n,,n=alice,r=x")))
                .isInstanceOf(SaslAuthenticationException.class);
    }

    /** RFC 7677 section 3: user "user", password "pencil", 4096 iterations. */
    @Test
    void derivesTheKeysOfRfc7677() {
        ScramMechanism sha256 = ScramMechanism.SCRAM_SHA_256;
        byte[] salt = Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ==");
        ScramCredential credential = sha256.credential(salt, sha256.saltedPassword("pencil", salt, 4096), 4096);
        String authMessage = "n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                + "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        assertThat(Base64.getEncoder().encodeToString(sha256.hmac(credential.serverKey(), bytes(authMessage))))
                .isEqualTo("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    }

    @Test
    void aWrongPasswordFailsWithKafkasMessage() {
        ScramServer server = new ScramServer(ScramMechanism.SCRAM_SHA_256, store);
        Client client = Client.of(ScramMechanism.SCRAM_SHA_256, "alice", "wrong");
        String serverFirst = text(server.evaluate(client.first()));
        assertThatThrownBy(() -> server.evaluate(bytes(client.finalMessage(serverFirst, "biws", nonceOf(serverFirst)))))
                .isInstanceOf(SaslAuthenticationException.class)
                .hasMessage(FAILED + "SCRAM-SHA-256")
                .hasRootCauseMessage("wrong proof for user alice");
        assertThat(server.complete()).isFalse();
    }

    @Test
    void anUnknownUserOrMechanismOrTooFewIterationsFailsAtTheFirstMessage() {
        assertThatThrownBy(() -> new ScramServer(ScramMechanism.SCRAM_SHA_256, store)
                        .evaluate(Client.of(ScramMechanism.SCRAM_SHA_256, "mallory", "x")
                                .first()))
                .hasMessage(FAILED + "SCRAM-SHA-256");
        store.alterScramCredentials(
                java.util.List.of(new ScramCredentialStore.Change("alice", ScramMechanism.SCRAM_SHA_512, null)));
        assertThatThrownBy(() -> new ScramServer(ScramMechanism.SCRAM_SHA_512, store)
                        .evaluate(Client.of(ScramMechanism.SCRAM_SHA_512, "alice", "alice-secret")
                                .first()))
                .hasMessage(FAILED + "SCRAM-SHA-512");
        assertThatThrownBy(() -> new ScramServer(ScramMechanism.SCRAM_SHA_256, store)
                        .evaluate(Client.of(ScramMechanism.SCRAM_SHA_256, "weak", "weak-secret")
                                .first()))
                .hasMessage(FAILED + "SCRAM-SHA-256")
                .hasRootCauseMessage("the credential of weak has 1024 iterations, fewer than 4096");
    }

    @Test
    void theFinalMessageMustRepeatTheWholeNonce() {
        ScramServer server = new ScramServer(ScramMechanism.SCRAM_SHA_256, store);
        Client client = Client.of(ScramMechanism.SCRAM_SHA_256, "alice", "alice-secret");
        String serverFirst = text(server.evaluate(client.first()));
        // the client's own part alone, signed correctly over what it sends
        assertThatThrownBy(() -> server.evaluate(bytes(client.finalMessage(serverFirst, "biws", CLIENT_NONCE))))
                .hasMessage(FAILED + "SCRAM-SHA-256")
                .hasRootCauseMessage("the client final message does not repeat the nonce");
    }

    @Test
    void theChannelBindingMustBeTheGs2HeaderTheClientSent() {
        ScramServer server = new ScramServer(ScramMechanism.SCRAM_SHA_256, store);
        Client client = Client.of(ScramMechanism.SCRAM_SHA_256, "alice", "alice-secret");
        String serverFirst = text(server.evaluate(client.first()));
        String yHeader = Base64.getEncoder().encodeToString(bytes("y,,"));
        assertThatThrownBy(
                        () -> server.evaluate(bytes(client.finalMessage(serverFirst, yHeader, nonceOf(serverFirst)))))
                .hasMessage(FAILED + "SCRAM-SHA-256")
                .hasRootCauseMessage("the channel binding is not the client's gs2 header");
    }

    @Test
    void anAuthorizationIdMustBeTheUserItself() {
        Client asBob =
                new Client(ScramMechanism.SCRAM_SHA_256, "alice-secret", "n=alice,r=" + CLIENT_NONCE, "n,a=bob,");
        assertThatThrownBy(() -> new ScramServer(ScramMechanism.SCRAM_SHA_256, store).evaluate(asBob.first()))
                .isInstanceOf(SaslAuthenticationException.class)
                .hasMessage("Authentication failed: Client requested an authorization id that is different from"
                        + " username");

        ScramServer server = new ScramServer(ScramMechanism.SCRAM_SHA_256, store);
        Client asAlice =
                new Client(ScramMechanism.SCRAM_SHA_256, "alice-secret", "n=alice,r=" + CLIENT_NONCE, "n,a=alice,");
        String serverFirst = text(server.evaluate(asAlice.first()));
        String channel = Base64.getEncoder().encodeToString(bytes("n,a=alice,"));
        server.evaluate(bytes(asAlice.finalMessage(serverFirst, channel, nonceOf(serverFirst))));
        assertThat(server.user()).isEqualTo("alice");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "n,,n=alice",
                "y,,n=alice,r=abc", // channel binding supported by the client: Kafka accepts only "n"
                "p=tls-unique,,n=alice,r=abc",
                "n,,m=ext,n=alice,r=abc", // the reserved attribute
                "n,,n=al=ce,r=abc", // '=' not escaped
                "n,,n=alice,r=a b", // a nonce that is not printable
                "n,,n=alice,r=abc,tokenauth=true", // delegation tokens
                "n=alice,r=abc"
            })
    void malformedFirstMessagesFail(String first) {
        assertThatThrownBy(() -> new ScramServer(ScramMechanism.SCRAM_SHA_256, store).evaluate(bytes(first)))
                .isInstanceOf(SaslAuthenticationException.class)
                .hasMessage(FAILED + "SCRAM-SHA-256");
    }

    @Test
    void extensionsAndEscapedNamesAreAccepted() {
        store.with("a,b=c", "pw", ScramMechanism.SCRAM_SHA_256, 4096);
        ScramServer server = new ScramServer(ScramMechanism.SCRAM_SHA_256, store);
        Client client =
                new Client(ScramMechanism.SCRAM_SHA_256, "pw", "n=a=2Cb=3Dc,r=" + CLIENT_NONCE + ",ext=value", "n,,");
        String serverFirst = text(server.evaluate(client.first()));
        server.evaluate(bytes(client.finalMessage(serverFirst, "biws", nonceOf(serverFirst))));
        assertThat(server.user()).isEqualTo("a,b=c");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "c=biws", "c=biws,r=NONCE", "c=biws,r=NONCE,p=not base64!", "c=biws,r=NONCE,p=AAAA"})
    void malformedOrShortFinalMessagesFail(String template) {
        ScramServer server = new ScramServer(ScramMechanism.SCRAM_SHA_256, store);
        String serverFirst = text(server.evaluate(
                Client.of(ScramMechanism.SCRAM_SHA_256, "alice", "x").first()));
        assertThatThrownBy(() -> server.evaluate(bytes(template.replace("NONCE", nonceOf(serverFirst)))))
                .isInstanceOf(SaslAuthenticationException.class)
                .hasMessage(FAILED + "SCRAM-SHA-256");
        assertThat(server.complete()).isFalse();
    }
}
