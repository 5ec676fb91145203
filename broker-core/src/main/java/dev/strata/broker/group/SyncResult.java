package dev.strata.broker.group;

import org.apache.kafka.common.protocol.Errors;

/** What a SyncGroup gets back: the member's assignment, or an error with an empty one. */
public record SyncResult(Errors error, String protocolType, String protocolName, byte[] assignment) {

    static SyncResult error(Errors error) {
        return new SyncResult(error, null, null, new byte[0]);
    }
}
