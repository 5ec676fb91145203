package dev.strata.broker.group;

import java.util.Map;

/**
 * A JoinGroup as the classic coordinator sees it.
 *
 * @param protocols the member's protocols by name, in its order of preference, with their metadata
 * @param requireKnownMemberId KIP-394 (JoinGroup v4+): a new dynamic member first gets its id with
 *     MEMBER_ID_REQUIRED and must join again with it
 * @param skipAssignmentSupported KIP-814 (JoinGroup v9+): a rejoining static leader can be told not to assign
 * @param clientHost the client's address as Kafka shows it ({@code /1.2.3.4})
 */
public record JoinRequest(
        String groupId,
        String memberId,
        String groupInstanceId,
        String protocolType,
        Map<String, byte[]> protocols,
        int sessionTimeoutMs,
        int rebalanceTimeoutMs,
        boolean requireKnownMemberId,
        boolean skipAssignmentSupported,
        String clientId,
        String clientHost) {}
