package dev.strata.broker.network;

import dev.strata.broker.security.ListenerSecurity;
import dev.strata.broker.security.SaslExchange;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
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
 * closed. Every such failure is answered and closed {@code connection.failed.authentication.delay.ms} later, as Kafka
 * delays them ({@link KafkaConnectionHandler} schedules that on the connection's event loop). Once authenticated (at once on a {@code PLAINTEXT} or {@code SSL}
 * listener) every request goes to the dispatcher, and SaslHandshake or SaslAuthenticate get ILLEGAL_SASL_STATE.
 *
 * <p>Re-authentication (KIP-368): with {@code connections.max.reauth.ms} set for the listener, a successful
 * SaslAuthenticate v1+ tells the client its session lifetime, and the client re-authenticates on the same connection
 * before it ends: a SaslHandshake on an authenticated connection (at least a second after the last authentication
 * began, with the same mechanism) starts a new exchange, which must end with the same principal. Requests that arrive
 * once the session has expired close the connection, as Kafka closes it, whether or not the client could
 * re-authenticate (SaslAuthenticate v0 and raw tokens have no way to learn the lifetime).
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

        /**
         * Close the connection without an answer: after {@code connection.failed.authentication.delay.ms} when
         * {@code authenticationFailed}, as Kafka delays the close of a failed authentication, else at once.
         */
        record Close(String reason, boolean authenticationFailed) implements Admission {}
    }

    private static final Admission DISPATCH = new Admission.Dispatch();

    private enum State {
        HANDSHAKE,
        AUTHENTICATE,
        RAW_TOKEN,
        COMPLETE,
        FAILED
    }

    /** Kafka's least time between two re-authentications of one connection, against a client flooding them. */
    private static final long MIN_REAUTH_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ListenerSecurity security;
    private final LongSupplier nanoClock;
    private State state;
    private SaslExchange exchange;
    private String mechanism;
    private KafkaPrincipal principal = KafkaPrincipal.ANONYMOUS;
    /** The principal the connection had before the re-authentication under way; null when none is. */
    private KafkaPrincipal reauthenticating;

    private boolean clientCanReauthenticate;
    private long authenticationStartNanos;
    /** Whether the session ends, and when: {@code connections.max.reauth.ms} after it was authenticated. */
    private boolean sessionEnds;

    private long sessionEndNanos;

    ConnectionAuthenticator(ListenerSecurity security) {
        this(security, System::nanoTime);
    }

    ConnectionAuthenticator(ListenerSecurity security, LongSupplier nanoClock) {
        this.security = security;
        this.nanoClock = nanoClock;
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

    /** Whether the client has authenticated (at once on a listener without SASL). */
    boolean authenticated() {
        return state == State.COMPLETE;
    }

    /** Whether the next frame is a raw SASL token (after a SaslHandshake v0), not a Kafka request. */
    boolean expectsRawToken() {
        return state == State.RAW_TOKEN;
    }

    Admission admit(AbstractRequest request) {
        ApiKeys key = request.apiKey();
        return switch (state) {
            case COMPLETE -> switch (key) {
                case SASL_HANDSHAKE -> mayReauthenticate()
                        ? reauthenticate((SaslHandshakeRequest) request)
                        : new Admission.Answer(
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
                default -> sessionEnds && nanoClock.getAsLong() - sessionEndNanos > 0 ? expired() : DISPATCH;
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

    private boolean mayReauthenticate() {
        return security.reauthenticationMs() > 0
                && clientCanReauthenticate
                && nanoClock.getAsLong() - authenticationStartNanos >= MIN_REAUTH_INTERVAL_NANOS;
    }

    private Admission reauthenticate(SaslHandshakeRequest request) {
        if (!request.data().mechanism().equals(mechanism)) {
            return failWith(
                    new SaslHandshakeResponseData()
                            .setMechanisms(security.mechanisms())
                            .setErrorCode(Errors.UNSUPPORTED_SASL_MECHANISM.code()),
                    "SASL mechanism " + request.data().mechanism() + " requested for re-authentication of a "
                            + mechanism + " session");
        }
        reauthenticating = principal;
        return handshake(request);
    }

    private Admission handshake(SaslHandshakeRequest request) {
        authenticationStartNanos = nanoClock.getAsLong();
        String mechanism = request.data().mechanism();
        SaslHandshakeResponseData response = new SaslHandshakeResponseData().setMechanisms(security.mechanisms());
        if (!security.mechanisms().contains(mechanism)) {
            return failWith(
                    response.setErrorCode(Errors.UNSUPPORTED_SASL_MECHANISM.code()),
                    "Unsupported SASL mechanism " + mechanism);
        }
        exchange = security.newExchange(mechanism);
        this.mechanism = mechanism;
        state = request.version() == 0 ? State.RAW_TOKEN : State.AUTHENTICATE;
        return new Admission.Answer(response.setErrorCode(Errors.NONE.code()), null);
    }

    private Admission authenticate(SaslAuthenticateRequest request) {
        byte[] answer;
        try {
            clientCanReauthenticate = request.version() >= 1;
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
                        .setSessionLifetimeMs(
                                state == State.COMPLETE && request.version() >= 1 ? security.reauthenticationMs() : 0),
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
            KafkaPrincipal authenticated = new KafkaPrincipal(KafkaPrincipal.USER_TYPE, exchange.user());
            if (reauthenticating != null && !reauthenticating.equals(authenticated)) {
                throw new SaslAuthenticationException("Cannot change principals during re-authentication from "
                        + reauthenticating + ": " + authenticated);
            }
            principal = authenticated;
            reauthenticating = null;
            state = State.COMPLETE;
            exchange = null;
            long lifetimeMs = security.reauthenticationMs();
            // as Kafka, the session lasts from the end of the authentication
            sessionEnds = lifetimeMs > 0;
            sessionEndNanos = nanoClock.getAsLong() + TimeUnit.MILLISECONDS.toNanos(lifetimeMs);
        }
        return answer;
    }

    private Admission fail(String reason) {
        state = State.FAILED;
        return new Admission.Close(reason, true);
    }

    /** A session that ended without re-authentication closes at once, as Kafka closes it. */
    private Admission expired() {
        state = State.FAILED;
        return new Admission.Close(
                "the SASL session expired "
                        + TimeUnit.NANOSECONDS.toMillis(nanoClock.getAsLong() - sessionEndNanos)
                        + " ms ago without re-authentication",
                false);
    }

    private Admission failWith(ApiMessage answer, String reason) {
        state = State.FAILED;
        return new Admission.Answer(answer, reason);
    }
}
