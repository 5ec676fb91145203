package dev.strata.broker.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.errors.SaslAuthenticationException;

/**
 * The users of SASL/PLAIN on one listener, from Kafka's JAAS setting
 * {@code listener.name.<listener>.plain.sasl.jaas.config}: the options {@code user_<name>="<password>"} of its
 * {@code PlainLoginModule}. {@link #authenticate} checks a client's PLAIN message (RFC 4616:
 * {@code [authzid] NUL authcid NUL passwd}) as Kafka's PLAIN server does, with its error messages, and compares
 * passwords in constant time. Passwords are never logged nor put in a message.
 */
public final class PlainUsers {
    static final String LOGIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule";
    private static final String USER_PREFIX = "user_";

    private final Map<String, byte[]> passwords;

    private PlainUsers(Map<String, byte[]> passwords) {
        this.passwords = passwords;
    }

    /**
     * @throws IllegalArgumentException when the setting does not parse or names no {@code PlainLoginModule}
     */
    public static PlainUsers fromJaas(String jaasConfig) {
        List<JaasConfigParser.LoginModule> modules = JaasConfigParser.parse(jaasConfig);
        JaasConfigParser.LoginModule plain = modules.stream()
                .filter(m -> m.className().equals(LOGIN_MODULE))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the JAAS configuration of PLAIN must use "
                        + LOGIN_MODULE + ", found "
                        + modules.stream()
                                .map(JaasConfigParser.LoginModule::className)
                                .toList()));
        Map<String, byte[]> passwords = new HashMap<>();
        plain.options().forEach((name, value) -> {
            if (name.startsWith(USER_PREFIX) && name.length() > USER_PREFIX.length()) {
                passwords.put(name.substring(USER_PREFIX.length()), value.getBytes(StandardCharsets.UTF_8));
            }
        });
        return new PlainUsers(Map.copyOf(passwords));
    }

    /** A one-step exchange: the client's one PLAIN message, answered with an empty token. */
    public SaslExchange exchange() {
        return new SaslExchange() {
            private String user;

            @Override
            public byte[] evaluate(byte[] clientToken) {
                if (user != null) {
                    throw new SaslAuthenticationException("Authentication failed: a PLAIN token after the exchange");
                }
                user = authenticate(clientToken);
                return new byte[0];
            }

            @Override
            public boolean complete() {
                return user != null;
            }

            @Override
            public String user() {
                return user;
            }
        };
    }

    /** How many users the setting names. */
    public int size() {
        return passwords.size();
    }

    /**
     * Checks one PLAIN client message.
     *
     * @return the authenticated user name
     * @throws SaslAuthenticationException with Kafka's message when the message is malformed or the user name or
     *     password is wrong
     */
    public String authenticate(byte[] response) {
        String[] tokens = new String(response, StandardCharsets.UTF_8).split("\u0000", -1);
        if (tokens.length != 3) {
            throw new SaslAuthenticationException(
                    "Invalid SASL/PLAIN response: expected 3 tokens, got " + tokens.length);
        }
        String authorizationId = tokens[0];
        String username = tokens[1];
        String password = tokens[2];
        if (username.isEmpty()) {
            throw new SaslAuthenticationException("Authentication failed: username not specified");
        }
        if (password.isEmpty()) {
            throw new SaslAuthenticationException("Authentication failed: password not specified");
        }
        byte[] expected = Optional.ofNullable(passwords.get(username)).orElse(null);
        byte[] given = password.getBytes(StandardCharsets.UTF_8);
        // compare even for an unknown user, so that the time taken does not tell which names exist
        boolean match = MessageDigest.isEqual(expected == null ? new byte[given.length] : expected, given);
        if (expected == null || !match) {
            throw new SaslAuthenticationException("Authentication failed: Invalid username or password");
        }
        if (!authorizationId.isEmpty() && !authorizationId.equals(username)) {
            throw new SaslAuthenticationException(
                    "Authentication failed: Client requested an authorization id that is different from username");
        }
        return username;
    }
}
