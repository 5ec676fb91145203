package dev.strata.broker.group;

import java.util.List;
import org.apache.kafka.common.protocol.Errors;

/**
 * What a JoinGroup gets back. On an error only {@code error} and {@code memberId} mean anything (generation -1, no
 * protocol, no leader).
 *
 * @param members every member with its metadata, for the leader only (empty for the others)
 * @param skipAssignment KIP-814: the leader must not compute a new assignment
 */
public record JoinResult(
        Errors error,
        String memberId,
        int generationId,
        String protocolType,
        String protocolName,
        String leaderId,
        boolean skipAssignment,
        List<Member> members) {

    /** One member of the group as the leader sees it. */
    public record Member(String memberId, String groupInstanceId, byte[] metadata) {}

    static JoinResult error(String memberId, Errors error) {
        return new JoinResult(error, memberId, -1, null, null, "", false, List.of());
    }
}
