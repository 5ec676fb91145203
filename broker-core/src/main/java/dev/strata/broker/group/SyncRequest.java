package dev.strata.broker.group;

import java.util.Map;

/**
 * A SyncGroup as the classic coordinator sees it.
 *
 * @param protocolType null if the client did not send it (before v5)
 * @param protocolName null if the client did not send it (before v5)
 * @param assignments the leader's assignment of each member id; empty from the other members
 */
public record SyncRequest(
        String groupId,
        String memberId,
        String groupInstanceId,
        int generationId,
        String protocolType,
        String protocolName,
        Map<String, byte[]> assignments) {}
