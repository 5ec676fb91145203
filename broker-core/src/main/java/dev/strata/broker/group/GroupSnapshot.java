package dev.strata.broker.group;

import java.util.List;

/** What is stored of a classic group: enough to rebuild it after a restart. */
public record GroupSnapshot(
        String groupId,
        String protocolType,
        int generationId,
        String protocolName,
        String leaderId,
        long stateTimestampMs,
        List<Member> members) {

    /** A stored member, with its metadata for the chosen protocol and its assignment. */
    public record Member(
            String memberId,
            String groupInstanceId,
            String clientId,
            String clientHost,
            int rebalanceTimeoutMs,
            int sessionTimeoutMs,
            byte[] subscription,
            byte[] assignment) {}
}
