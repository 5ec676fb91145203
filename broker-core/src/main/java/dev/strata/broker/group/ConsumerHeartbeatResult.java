package dev.strata.broker.group;

import java.util.List;
import java.util.Map;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;

/**
 * What a ConsumerGroupHeartbeat gets back. On an error only {@code error} and {@code errorMessage} mean anything.
 *
 * @param assignment the member's whole assignment (topic id to sorted partitions) when it changed since the member
 *     was last told, else null
 */
public record ConsumerHeartbeatResult(
        Errors error,
        String errorMessage,
        String memberId,
        int memberEpoch,
        int heartbeatIntervalMs,
        Map<Uuid, List<Integer>> assignment) {

    static ConsumerHeartbeatResult error(Errors error, String message) {
        return new ConsumerHeartbeatResult(error, message, null, 0, 0, null);
    }
}
