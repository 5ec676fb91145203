package dev.strata.broker.group;

import java.util.HashMap;
import java.util.Map;

/** A {@link ConsumerGroupCoordinator.StateStore} in memory: each group's last stored state, for restore tests. */
final class StoredGroups implements ConsumerGroupCoordinator.StateStore {
    private final Map<String, byte[]> stored = new HashMap<>();

    @Override
    public void store(String groupId, byte[] state) {
        stored.put(groupId, state);
    }

    @Override
    public void delete(String groupId) {
        stored.remove(groupId);
    }

    byte[] get(String groupId) {
        return stored.get(groupId);
    }
}
