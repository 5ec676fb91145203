package dev.strata.broker.network;

import dev.strata.broker.security.ListenerSecurity;
import dev.strata.broker.security.SaslExchange;
import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.IllegalSaslStateException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.SaslAuthenticateRequest;
import org.apache.kafka.common.requests.SaslHandshakeRequest;
import org.apache.kafka.common.security.auth.KafkaPrincipal;

/**
 * The authentication state of one connection, as Kafka's SASL server authenticator keeps it, and the principal the
 * connection acts as. On a {@code SASL_*} listener a client may send ApiVersions and then must send SaslHandshake
 * naming an enabled mechanism, then SaslAuthenticate (after a v1 handshake) or raw SASL tokens (after a v0
 * handshake, {@link #rawToken}) until the mechanism's exchange completes: one for PLAIN, two for SCRAM. Any other
 * request before that closes the connection, as in Kafka (with an ILLEGAL_SASL_STATE answer once the handshake is
 * done). A wrong password is answered with SASL_AUTHENTICATION_FAILED and Kafka's message, then the connection is
 * closed. Once authenticated (at once on a {@code PLAINTEXT} or {@code SSL}
 * listener) every request goes to the dispatcher, and SaslHandshake or SaslAuthenticate get ILLEGAL_SASL_STATE.
 *
 * <p>Touched on the connection's event loop only. Checking a PLAIN password is a map lookup and a comparison, a SCRAM
 * proof a few hashes over a credential in the applied metadata image: no I/O.
 */
final class ConnectionAuthenticator {

    /** What to do with one request. */
    sealed interface Admission {
        /** Hand the request to the dispatcher. */
        record Dispatch() implements Admission {}

        /** Answer with {@code body}, and close the connection after it when {@code closeReason} is not null. */
        record Answer(ApiMessage body, String closeReason) implements Admission {}

        /** Close the connection without an answer. */
        record Close(String reason) implements Admission {}
    }

    private static final Admission DISPATCH = new Admission.Dispatch();

    private enum State {
        HANDSHAKE,
        AUTHENTICATE,
        RAW_TOKEN,
        COMPLETE,
        FAILED
    }

    private final ListenerSecurity security;
    private State state;
    private SaslExchange exchange;
    private KafkaPrincipal principal = KafkaPrincipal.ANONYMOUS;

    ConnectionAuthenticator(ListenerSecurity security) {
        this.security = security;
        this.state = security.usesSasl() ? State.HANDSHAKE : State.COMPLETE;
    }

    String listenerName() {
        return security.listenerName();
    }

    KafkaPrincipal principal() {
        return principal;
    }

    /** The principal of the client's certificate, once the TLS handshake is done; SASL may replace it. */
    void tlsAuthenticated(KafkaPrincipal fromCertificate) {
        this.principal = fromCertificate;
    }

    /** Whether the next frame is a raw SASL token (after a SaslHandshake v0), not a Kafka request. */
    boolean expectsRawToken() {
        return state == State.RAW_TOKEN;
    }

    Admission admit(AbstractRequest request) {
        ApiKeys key = request.apiKey();
        return switch (state) {
            case COMPLETE -> switch (key) {
                case SASL_HANDSHAKE -> new Admission.Answer(
                        ((SaslHandshakeRequest) request)
                                .getErrorResponse(new IllegalSaslStateException(
                                        "Unexpected SaslHandshake request: the connection is authenticated"))
                                .data(),
                        null);
                case SASL_AUTHENTICATE -> new Admission.Answer(
                        new SaslAuthenticateResponseData()
                                .setErrorCode(Errors.ILLEGAL_SASL_STATE.code())
                                .setErrorMessage("SaslAuthenticate request received after successful authentication"),
                        null);
                default -> DISPATCH;
            };
            case HANDSHAKE -> switch (key) {
                case API_VERSIONS -> DISPATCH;
                case SASL_HANDSHAKE -> handshake((SaslHandshakeRequest) request);
                default -> fail("Unexpected Kafka request of type " + key + " during SASL handshake");
            };
            case AUTHENTICATE -> key == ApiKeys.SASL_AUTHENTICATE
                    ? authenticate((SaslAuthenticateRequest) request)
                    : failWith(
                            request.getErrorResponse(new IllegalSaslStateException(
                                            "Unexpected Kafka request of type " + key + " during SASL authentication"))
                                    .data(),
                            "Unexpected Kafka request of type " + key + " during SASL authentication");
            case RAW_TOKEN, FAILED -> fail("Unexpected Kafka request of type " + key + " during SASL authentication");
        };
    }

    private Admission handshake(SaslHandshakeRequest request) {
        String mechanism = request.data().mechanism();
        SaslHandshakeResponseData response = new SaslHandshakeResponseData().setMechanisms(security.mechanisms());
        if (!security.mechanisms().contains(mechanism)) {
            return failWith(
                    response.setErrorCode(Errors.UNSUPPORTED_SASL_MECHANISM.code()),
                    "Unsupported SASL mechanism " + mechanism);
        }
        exchange = security.newExchange(mechanism);
        state = request.version() == 0 ? State.RAW_TOKEN : State.AUTHENTICATE;
        return new Admission.Answer(response.setErrorCode(Errors.NONE.code()), null);
    }

    private Admission authenticate(SaslAuthenticateRequest request) {
        byte[] answer;
        try {
            answer = evaluate(request.data().authBytes());
        } catch (SaslAuthenticationException e) {
            return failWith(
                    new SaslAuthenticateResponseData()
                            .setErrorCode(Errors.SASL_AUTHENTICATION_FAILED.code())
                            .setErrorMessage(e.getMessage()),
                    reason(e));
        }
        return new Admission.Answer(
                new SaslAuthenticateResponseData()
                        .setErrorCode(Errors.NONE.code())
                        .setAuthBytes(answer)
                        .setSessionLifetimeMs(0),
                null);
    }

    /** The client's message and, for the log, the reason behind it (SCRAM gives clients one message for all). */
    static String reason(SaslAuthenticationException e) {
        return e.getCause() == null
                ? e.getMessage()
                : e.getMessage() + ": " + e.getCause().getMessage();
    }

    /**
     * One raw SASL token after a SaslHandshake v0.
     *
     * @return the server's token to send back, framed like a response (empty for PLAIN)
     * @throws SaslAuthenticationException when the token does not authenticate; the caller closes the connection
     */
    byte[] rawToken(ByteBuffer frame) {
        byte[] token = new byte[frame.remaining()];
        frame.get(token);
        try {
            return evaluate(token);
        } catch (SaslAuthenticationException e) {
            state = State.FAILED;
            throw e;
        }
    }

    private byte[] evaluate(byte[] token) {
        byte[] answer = exchange.evaluate(token);
        if (exchange.complete()) {
            principal = new KafkaPrincipal(KafkaPrincipal.USER_TYPE, exchange.user());
            state = State.COMPLETE;
            exchange = null;
        }
        return answer;
    }

    private Admission fail(String reason) {
        state = State.FAILED;
        return new Admission.Close(reason);
    }

    private Admission failWith(ApiMessage answer, String reason) {
        state = State.FAILED;
        return new Admission.Answer(answer, reason);
    }
}
