package dev.strata.broker.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.security.sasl.SaslException;
import org.apache.kafka.common.errors.SaslAuthenticationException;

/**
 * The server side of one SCRAM exchange (RFC 5802), checked as strictly as Apache Kafka 4.x checks it:
 *
 * <pre>
 *   client-first  n,[a=authzid],n=user,r=client-nonce[,ext=value]...   (gs2 "n" only: no channel binding)
 *   server-first  r=client-nonce server-nonce,s=base64(salt),i=iterations
 *   client-final  c=base64(gs2 header),r=client-nonce server-nonce[,ext=value]...,p=base64(proof)
 *   server-final  v=base64(server signature)
 * </pre>
 *
 * The client must repeat the whole nonce (its own and the server's), send back the gs2 header it began with as channel
 * binding ({@code biws} for {@code n,,}), and prove it knows ClientKey: {@code H(proof XOR HMAC(StoredKey,
 * AuthMessage)) == StoredKey}. Extensions are ignored except {@code tokenauth}, which asks for a delegation token
 * (Strata has none), and the reserved {@code m=} attribute fails, as RFC 5802 says it must. An unknown user, a stored
 * credential below {@link ScramMechanism#MIN_ITERATIONS}, a wrong proof and a malformed message all give the client
 * Kafka's one message, {@code Authentication failed during authentication due to invalid credentials with SASL
 * mechanism <mechanism>}; the reason is the exception's cause, for the broker's log.
 */
public final class ScramServer implements SaslExchange {
    private static final String NAME = "(?:[^\\x00=,]|=2C|=3D)+";
    private static final String PRINTABLE = "[\\x21-\\x7E&&[^,]]+";
    private static final String BASE64 = "(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)?";
    private static final String EXTENSIONS = "(?:,[A-Za-z]+=[\\x01-\\x7F&&[^,]]+)*";
    private static final Pattern CLIENT_FIRST = Pattern.compile("(?<gs2>n,(?:a=(?<authzid>" + NAME + "))?,)"
            + "(?<bare>n=(?<user>" + NAME + "),r=(?<nonce>" + PRINTABLE + ")(?<extensions>" + EXTENSIONS + "))");
    private static final Pattern CLIENT_FINAL = Pattern.compile("(?<withoutProof>c=(?<channel>" + BASE64
            + "),r=(?<nonce>" + PRINTABLE + ")" + EXTENSIONS + "),p=(?<proof>" + BASE64 + ")");
    private static final Pattern TOKEN_AUTH = Pattern.compile(",tokenauth=true(?:,|$)", Pattern.CASE_INSENSITIVE);
    private static final SecureRandom RANDOM = new SecureRandom();

    private enum State {
        CLIENT_FIRST,
        CLIENT_FINAL,
        COMPLETE,
        FAILED
    }

    private final ScramMechanism mechanism;
    private final ScramCredentialStore credentials;
    private State state = State.CLIENT_FIRST;
    private String user;
    private ScramCredential credential;
    private String gs2Header;
    private String nonce;
    private String authMessagePrefix;

    public ScramServer(ScramMechanism mechanism, ScramCredentialStore credentials) {
        this.mechanism = mechanism;
        this.credentials = credentials;
    }

    @Override
    public byte[] evaluate(byte[] clientToken) {
        String message = new String(clientToken, StandardCharsets.UTF_8);
        try {
            return switch (state) {
                case CLIENT_FIRST -> clientFirst(message);
                case CLIENT_FINAL -> clientFinal(message);
                case COMPLETE, FAILED -> throw new SaslException("a token after the exchange ended (" + state + ")");
            };
        } catch (SaslException e) {
            state = State.FAILED;
            credential = null;
            throw new SaslAuthenticationException(
                    "Authentication failed during authentication due to invalid credentials with SASL mechanism "
                            + mechanism.mechanismName(),
                    e);
        } catch (SaslAuthenticationException e) {
            state = State.FAILED;
            credential = null;
            throw e;
        }
    }

    private byte[] clientFirst(String message) throws SaslException {
        Matcher m = CLIENT_FIRST.matcher(message);
        if (!m.matches()) {
            throw new SaslException("invalid SCRAM client first message");
        }
        if (TOKEN_AUTH.matcher(m.group("extensions")).find()) {
            throw new SaslException("delegation tokens (tokenauth) are not supported");
        }
        String name = decodeName(m.group("user"));
        credential = credentials.scramCredential(name, mechanism).orElse(null);
        if (credential == null) {
            throw new SaslException("no " + mechanism.mechanismName() + " credential for user " + name);
        }
        String authzid = m.group("authzid");
        if (authzid != null && !decodeName(authzid).equals(name)) {
            throw new SaslAuthenticationException(
                    "Authentication failed: Client requested an authorization id that is different from username");
        }
        if (credential.iterations() < ScramMechanism.MIN_ITERATIONS) {
            throw new SaslException("the credential of " + name + " has " + credential.iterations()
                    + " iterations, fewer than " + ScramMechanism.MIN_ITERATIONS);
        }
        byte[] serverNonce = new byte[24];
        RANDOM.nextBytes(serverNonce);
        user = name;
        gs2Header = m.group("gs2");
        nonce = m.group("nonce") + Base64.getUrlEncoder().withoutPadding().encodeToString(serverNonce);
        String serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(credential.salt()) + ",i="
                + credential.iterations();
        authMessagePrefix = m.group("bare") + "," + serverFirst + ",";
        state = State.CLIENT_FINAL;
        return serverFirst.getBytes(StandardCharsets.UTF_8);
    }

    private byte[] clientFinal(String message) throws SaslException {
        Matcher m = CLIENT_FINAL.matcher(message);
        if (!m.matches()) {
            throw new SaslException("invalid SCRAM client final message");
        }
        if (!m.group("nonce").equals(nonce)) {
            throw new SaslException("the client final message does not repeat the nonce");
        }
        byte[] channelBinding = Base64.getDecoder().decode(m.group("channel"));
        if (!MessageDigest.isEqual(channelBinding, gs2Header.getBytes(StandardCharsets.UTF_8))) {
            throw new SaslException("the channel binding is not the client's gs2 header");
        }
        byte[] proof = Base64.getDecoder().decode(m.group("proof"));
        byte[] authMessage = (authMessagePrefix + m.group("withoutProof")).getBytes(StandardCharsets.UTF_8);
        byte[] storedKey = credential.storedKey();
        byte[] clientKey = mechanism.hmac(storedKey, authMessage); // the client signature, then XOR proof
        if (proof.length != clientKey.length) {
            throw new SaslException("the proof has " + proof.length + " bytes, not " + clientKey.length);
        }
        for (int i = 0; i < clientKey.length; i++) {
            clientKey[i] ^= proof[i];
        }
        if (!MessageDigest.isEqual(mechanism.hash(clientKey), storedKey)) {
            throw new SaslException("wrong proof for user " + user);
        }
        byte[] serverSignature = mechanism.hmac(credential.serverKey(), authMessage);
        credential = null;
        state = State.COMPLETE;
        return ("v=" + Base64.getEncoder().encodeToString(serverSignature)).getBytes(StandardCharsets.UTF_8);
    }

    /** RFC 5802's saslname: {@code =2C} is a comma and {@code =3D} an equals sign. */
    private static String decodeName(String saslName) {
        return saslName.replace("=2C", ",").replace("=3D", "=");
    }

    @Override
    public boolean complete() {
        return state == State.COMPLETE;
    }

    @Override
    public String user() {
        if (state != State.COMPLETE) {
            throw new IllegalStateException("the SCRAM exchange has not completed");
        }
        return user;
    }
}
