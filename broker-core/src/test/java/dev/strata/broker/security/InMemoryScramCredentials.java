package dev.strata.broker.security;

import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** A {@link ScramCredentialStore} in a map, for tests of the authentication without a metadata quorum. */
public final class InMemoryScramCredentials implements ScramCredentialStore {
    private final Map<String, Map<ScramMechanism, ScramCredential>> users = new TreeMap<>();

    /** Adds {@code user} with {@code password}, salted with the user's name. */
    public InMemoryScramCredentials with(String user, String password, ScramMechanism mechanism, int iterations) {
        byte[] salt = ("salt-of-" + user).getBytes(StandardCharsets.UTF_8);
        ScramCredential credential =
                mechanism.credential(salt, mechanism.saltedPassword(password, salt, iterations), iterations);
        alterScramCredentials(List.of(new Change(user, mechanism, credential)));
        return this;
    }

    @Override
    public Optional<ScramCredential> scramCredential(String user, ScramMechanism mechanism) {
        return Optional.ofNullable(users.getOrDefault(user, Map.of()).get(mechanism));
    }

    @Override
    public Map<String, Map<ScramMechanism, ScramCredential>> scramCredentials() {
        return new TreeMap<>(users);
    }

    @Override
    public void alterScramCredentials(List<Change> changes) {
        for (Change c : changes) {
            Map<ScramMechanism, ScramCredential> m =
                    users.computeIfAbsent(c.user(), u -> new EnumMap<>(ScramMechanism.class));
            if (c.credential() == null) {
                m.remove(c.mechanism());
            } else {
                m.put(c.mechanism(), c.credential());
            }
            if (m.isEmpty()) {
                users.remove(c.user());
            }
        }
    }
}
