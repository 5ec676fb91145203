package dev.strata.broker.api;

import dev.strata.broker.security.ScramCredential;
import dev.strata.broker.security.ScramCredentialStore;
import dev.strata.broker.security.ScramMechanism;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData.ScramCredentialDeletion;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData.ScramCredentialUpsertion;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData.AlterUserScramCredentialsResult;
import org.apache.kafka.common.message.DescribeUserScramCredentialsRequestData.UserName;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData.CredentialInfo;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData.DescribeUserScramCredentialsResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AlterUserScramCredentialsRequest;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.DescribeUserScramCredentialsRequest;

/**
 * AlterUserScramCredentials and DescribeUserScramCredentials, as Kafka's KRaft controller and brokers answer them
 * ({@code kafka-configs.sh --entity-type users} and {@code Admin.alterUserScramCredentials}). The client sends a salt and
 * the salted password, never the password; the broker keeps StoredKey and ServerKey derived from it in the metadata
 * quorum ({@link ScramCredentialStore}). Per user: DUPLICATE_RESOURCE when the request alters a user twice (Kafka
 * counts users, not mechanisms), UNACCEPTABLE_CREDENTIAL for an empty name, an empty salt or password, or iterations
 * outside {@value ScramMechanism#MIN_ITERATIONS}..{@value ScramMechanism#MAX_ITERATIONS}, UNSUPPORTED_SASL_MECHANISM
 * for a mechanism type other than 1 and 2, RESOURCE_NOT_FOUND for deleting or describing what does not exist. The
 * accepted changes of one request are one metadata entry. Runs on the I/O pool: an alteration waits for the quorum.
 */
public final class ScramCredentialsHandler {
    private final ScramCredentialStore store;

    public ScramCredentialsHandler(ScramCredentialStore store) {
        this.store = store;
    }

    public AlterUserScramCredentialsResponseData alter(AlterUserScramCredentialsRequest request) {
        Map<String, ScramCredentialStore.Change> accepted = new LinkedHashMap<>();
        Map<String, ApiError> refused = new LinkedHashMap<>();
        for (ScramCredentialDeletion deletion : request.data().deletions()) {
            consider(deletion.name(), accepted, refused, () -> deletion(deletion));
        }
        for (ScramCredentialUpsertion upsertion : request.data().upsertions()) {
            consider(upsertion.name(), accepted, refused, () -> upsertion(upsertion));
        }
        ApiError writeError = ApiError.NONE;
        if (!accepted.isEmpty()) {
            try {
                store.alterScramCredentials(List.copyOf(accepted.values()));
            } catch (RuntimeException e) {
                writeError = ApiError.fromThrowable(e);
            }
        }
        AlterUserScramCredentialsResponseData response = new AlterUserScramCredentialsResponseData();
        for (String user : accepted.keySet()) {
            response.results().add(result(user, writeError));
        }
        refused.forEach((user, error) -> response.results().add(result(user, error)));
        return response;
    }

    private interface Validation {
        /** The change, or an ApiError thrown as a {@link Refused}. */
        ScramCredentialStore.Change validate();
    }

    private static final class Refused extends RuntimeException {
        private final ApiError error;

        Refused(Errors error, String message) {
            super(message, null, false, false);
            this.error = new ApiError(error, message);
        }
    }

    private static void consider(
            String user,
            Map<String, ScramCredentialStore.Change> accepted,
            Map<String, ApiError> refused,
            Validation validation) {
        if (refused.containsKey(user)) {
            return;
        }
        if (accepted.remove(user) != null) {
            refused.put(
                    user,
                    new ApiError(
                            Errors.DUPLICATE_RESOURCE,
                            "A user credential cannot be altered twice in the same request"));
            return;
        }
        try {
            accepted.put(user, validation.validate());
        } catch (Refused e) {
            refused.put(user, e.error);
        }
    }

    private ScramCredentialStore.Change deletion(ScramCredentialDeletion deletion) {
        ScramMechanism mechanism = mechanism(deletion.name(), deletion.mechanism());
        if (store.scramCredential(deletion.name(), mechanism).isEmpty()) {
            throw new Refused(Errors.RESOURCE_NOT_FOUND, "Attempt to delete a user credential that does not exist");
        }
        return new ScramCredentialStore.Change(deletion.name(), mechanism, null);
    }

    private static ScramCredentialStore.Change upsertion(ScramCredentialUpsertion upsertion) {
        ScramMechanism mechanism = mechanism(upsertion.name(), upsertion.mechanism());
        if (upsertion.iterations() < ScramMechanism.MIN_ITERATIONS) {
            throw new Refused(Errors.UNACCEPTABLE_CREDENTIAL, "Too few iterations");
        }
        if (upsertion.iterations() > ScramMechanism.MAX_ITERATIONS) {
            throw new Refused(Errors.UNACCEPTABLE_CREDENTIAL, "Too many iterations");
        }
        if (upsertion.salt().length == 0 || upsertion.saltedPassword().length == 0) {
            throw new Refused(Errors.UNACCEPTABLE_CREDENTIAL, "The salt and the salted password must not be empty");
        }
        ScramCredential credential =
                mechanism.credential(upsertion.salt(), upsertion.saltedPassword(), upsertion.iterations());
        return new ScramCredentialStore.Change(upsertion.name(), mechanism, credential);
    }

    private static ScramMechanism mechanism(String user, byte type) {
        if (user.isEmpty()) {
            throw new Refused(Errors.UNACCEPTABLE_CREDENTIAL, "Username must not be empty");
        }
        Optional<ScramMechanism> mechanism = ScramMechanism.forType(type);
        if (mechanism.isEmpty()) {
            throw new Refused(Errors.UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism");
        }
        return mechanism.get();
    }

    private static AlterUserScramCredentialsResult result(String user, ApiError error) {
        return new AlterUserScramCredentialsResult()
                .setUser(user)
                .setErrorCode(error.error().code())
                .setErrorMessage(error.isFailure() ? error.message() : null);
    }

    /** Every user with a credential when the request names none; a user named twice gets DUPLICATE_RESOURCE. */
    public DescribeUserScramCredentialsResponseData describe(DescribeUserScramCredentialsRequest request) {
        Map<String, Map<ScramMechanism, ScramCredential>> all = store.scramCredentials();
        List<UserName> named = request.data().users();
        List<String> users = new ArrayList<>();
        Set<String> duplicates = new HashSet<>();
        if (named == null || named.isEmpty()) {
            users.addAll(all.keySet());
        } else {
            for (UserName user : named) {
                if (users.contains(user.name())) {
                    duplicates.add(user.name());
                } else {
                    users.add(user.name());
                }
            }
        }
        DescribeUserScramCredentialsResponseData response = new DescribeUserScramCredentialsResponseData();
        for (String user : users) {
            DescribeUserScramCredentialsResult result = new DescribeUserScramCredentialsResult().setUser(user);
            Map<ScramMechanism, ScramCredential> credentials = all.get(user);
            if (duplicates.contains(user)) {
                result.setErrorCode(Errors.DUPLICATE_RESOURCE.code())
                        .setErrorMessage("Cannot describe SCRAM credentials for the same user twice in a single"
                                + " request: " + user);
            } else if (credentials == null) {
                result.setErrorCode(Errors.RESOURCE_NOT_FOUND.code())
                        .setErrorMessage("Attempt to describe a user credential that does not exist: " + user);
            } else {
                credentials.forEach((mechanism, credential) -> result.credentialInfos()
                        .add(new CredentialInfo()
                                .setMechanism(mechanism.type())
                                .setIterations(credential.iterations())));
            }
            response.results().add(result);
        }
        return response;
    }
}
