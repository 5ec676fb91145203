package dev.strata.broker.metadata.quorum;

import dev.strata.broker.security.ScramCredential;
import dev.strata.broker.security.ScramCredentialStore.Change;
import dev.strata.broker.security.ScramMechanism;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The users' SCRAM credentials, part of the {@link MetadataImage} (Kafka keeps them in its metadata log as
 * UserScramCredentialRecords): per user and mechanism the salt, StoredKey, ServerKey and iteration count, never a
 * password. The apply thread changes it ({@link MetadataCommand.AlterScramCredentials}); connections authenticating
 * on event loops read it at any time and see each user's credentials as one immutable map, replaced whole.
 *
 * <p>A credential, in log entries and snapshots, is {@code byte mechanism type (1 SHA-256, 2 SHA-512), bytes salt,
 * bytes stored key, bytes server key, int iterations}; a change is {@code string user, byte mechanism type, bool
 * present, [credential fields]} (absent deletes); the snapshot section is {@code int user count, then sorted by user:
 * string user, int count, then the credentials sorted by mechanism}.
 */
final class UserScramCredentials {
    private final Map<String, Map<ScramMechanism, ScramCredential>> byUser = new ConcurrentHashMap<>();

    Optional<ScramCredential> credential(String user, ScramMechanism mechanism) {
        return Optional.ofNullable(byUser.getOrDefault(user, Map.of()).get(mechanism));
    }

    /** Every user with a credential, by name; the inner maps by mechanism. */
    Map<String, Map<ScramMechanism, ScramCredential>> sorted() {
        Map<String, Map<ScramMechanism, ScramCredential>> sorted = new TreeMap<>();
        byUser.forEach((user, credentials) -> sorted.put(user, new EnumMap<>(credentials)));
        return sorted;
    }

    /** Apply thread only. Deleting what is not there changes nothing. */
    void apply(List<Change> changes) {
        for (Change change : changes) {
            Map<ScramMechanism, ScramCredential> updated = new EnumMap<>(ScramMechanism.class);
            updated.putAll(byUser.getOrDefault(change.user(), Map.of()));
            if (change.credential() == null) {
                updated.remove(change.mechanism());
            } else {
                updated.put(change.mechanism(), change.credential());
            }
            if (updated.isEmpty()) {
                byUser.remove(change.user());
            } else {
                byUser.put(change.user(), Map.copyOf(updated));
            }
        }
    }

    static void writeChanges(DataOutputStream out, List<Change> changes) throws IOException {
        out.writeInt(changes.size());
        for (Change change : changes) {
            MetadataCodec.writeString(out, change.user());
            out.writeByte(change.mechanism().type());
            out.writeBoolean(change.credential() != null);
            if (change.credential() != null) {
                writeCredential(out, change.credential());
            }
        }
    }

    static List<Change> readChanges(DataInputStream in) throws IOException {
        return MetadataCodec.readList(in, i -> {
            String user = MetadataCodec.readString(i);
            ScramMechanism mechanism = mechanism(i.readByte());
            return new Change(user, mechanism, i.readBoolean() ? readCredential(i) : null);
        });
    }

    void writeSnapshot(DataOutputStream out) throws IOException {
        Map<String, Map<ScramMechanism, ScramCredential>> sorted = sorted();
        out.writeInt(sorted.size());
        for (Map.Entry<String, Map<ScramMechanism, ScramCredential>> user : sorted.entrySet()) {
            MetadataCodec.writeString(out, user.getKey());
            out.writeInt(user.getValue().size());
            for (Map.Entry<ScramMechanism, ScramCredential> e : user.getValue().entrySet()) {
                out.writeByte(e.getKey().type());
                writeCredential(out, e.getValue());
            }
        }
    }

    void readSnapshot(DataInputStream in) throws IOException {
        int users = in.readInt();
        if (users < 0 || users > MetadataCodec.MAX_LIST_LENGTH) {
            throw new IOException("Invalid SCRAM user count " + users);
        }
        for (int u = 0; u < users; u++) {
            String user = MetadataCodec.readString(in);
            int count = in.readInt();
            if (count < 1 || count > ScramMechanism.values().length) {
                throw new IOException("Invalid SCRAM credential count " + count + " of a user");
            }
            Map<ScramMechanism, ScramCredential> credentials = new EnumMap<>(ScramMechanism.class);
            for (int c = 0; c < count; c++) {
                ScramMechanism mechanism = mechanism(in.readByte());
                credentials.put(mechanism, readCredential(in));
            }
            byUser.put(user, Map.copyOf(credentials));
        }
    }

    private static ScramMechanism mechanism(byte type) throws IOException {
        Optional<ScramMechanism> mechanism = ScramMechanism.forType(type);
        if (mechanism.isEmpty()) {
            throw new IOException("Unknown SCRAM mechanism type " + type);
        }
        return mechanism.get();
    }

    private static void writeCredential(DataOutputStream out, ScramCredential credential) throws IOException {
        MetadataCodec.writeBytes(out, credential.salt());
        MetadataCodec.writeBytes(out, credential.storedKey());
        MetadataCodec.writeBytes(out, credential.serverKey());
        out.writeInt(credential.iterations());
    }

    private static ScramCredential readCredential(DataInputStream in) throws IOException {
        return new ScramCredential(
                MetadataCodec.readBytes(in), MetadataCodec.readBytes(in), MetadataCodec.readBytes(in), in.readInt());
    }
}
