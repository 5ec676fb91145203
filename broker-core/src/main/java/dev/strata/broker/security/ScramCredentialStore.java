package dev.strata.broker.security;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the brokers keep SCRAM credentials: the replicated metadata (so a user added through one broker logs in
 * through every broker, and after a restart). Reads are of the broker's applied image and never block; a change is
 * durable, and seen by this broker, when {@link #alterScramCredentials} returns.
 */
public interface ScramCredentialStore {

    /** One change of AlterUserScramCredentials: {@code credential} null deletes the user's mechanism. */
    record Change(String user, ScramMechanism mechanism, ScramCredential credential) {}

    Optional<ScramCredential> scramCredential(String user, ScramMechanism mechanism);

    /** Every user with at least one credential, sorted by name, with their mechanisms. */
    Map<String, Map<ScramMechanism, ScramCredential>> scramCredentials();

    /**
     * Applies the changes, all at once: deleting a credential that does not exist changes nothing. Blocks until the
     * quorum has committed them: never on a Netty event loop.
     */
    void alterScramCredentials(List<Change> changes);
}
