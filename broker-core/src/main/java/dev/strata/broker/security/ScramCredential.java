package dev.strata.broker.security;

import java.util.Arrays;

/**
 * One user's SCRAM credential for one mechanism, as the broker stores it (RFC 5802 section 3): the salt, the iteration
 * count, StoredKey and ServerKey. Neither the password nor the salted password is kept, and the keys let no one log in
 * (a client proves it knows ClientKey, of which StoredKey is only the hash). {@link #toString} shows the iterations
 * only.
 */
public record ScramCredential(byte[] salt, byte[] storedKey, byte[] serverKey, int iterations) {
    public ScramCredential {
        salt = salt.clone();
        storedKey = storedKey.clone();
        serverKey = serverKey.clone();
    }

    @Override
    public byte[] salt() {
        return salt.clone();
    }

    @Override
    public byte[] storedKey() {
        return storedKey.clone();
    }

    @Override
    public byte[] serverKey() {
        return serverKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScramCredential other
                && iterations == other.iterations
                && Arrays.equals(salt, other.salt)
                && Arrays.equals(storedKey, other.storedKey)
                && Arrays.equals(serverKey, other.serverKey);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(salt) + Arrays.hashCode(storedKey)) + iterations;
    }

    @Override
    public String toString() {
        return "ScramCredential[iterations=" + iterations + ", salt and keys hidden]";
    }
}
