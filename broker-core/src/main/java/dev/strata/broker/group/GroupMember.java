package dev.strata.broker.group;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/** One member of a classic group: its protocols, its assignment, and the join or sync it is waiting on. */
final class GroupMember {
    private String memberId;
    private final String groupInstanceId;
    private final String clientId;
    private final String clientHost;
    private int rebalanceTimeoutMs;
    private int sessionTimeoutMs;
    private final String protocolType;
    /** Protocol name to metadata, in the member's order of preference. */
    private Map<String, byte[]> protocols;

    private byte[] assignment = new byte[0];
    CompletableFuture<JoinResult> awaitingJoin;
    CompletableFuture<SyncResult> awaitingSync;
    ScheduledFuture<?> sessionExpiry;

    GroupMember(
            String memberId,
            String groupInstanceId,
            String clientId,
            String clientHost,
            int rebalanceTimeoutMs,
            int sessionTimeoutMs,
            String protocolType,
            Map<String, byte[]> protocols) {
        this.memberId = memberId;
        this.groupInstanceId = groupInstanceId;
        this.clientId = clientId;
        this.clientHost = clientHost;
        this.rebalanceTimeoutMs = rebalanceTimeoutMs;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.protocolType = protocolType;
        this.protocols = new LinkedHashMap<>(protocols);
    }

    String memberId() {
        return memberId;
    }

    void memberId(String id) {
        this.memberId = id;
    }

    String groupInstanceId() {
        return groupInstanceId;
    }

    boolean isStatic() {
        return groupInstanceId != null;
    }

    String clientId() {
        return clientId;
    }

    String clientHost() {
        return clientHost;
    }

    int rebalanceTimeoutMs() {
        return rebalanceTimeoutMs;
    }

    int sessionTimeoutMs() {
        return sessionTimeoutMs;
    }

    String protocolType() {
        return protocolType;
    }

    Map<String, byte[]> protocols() {
        return protocols;
    }

    byte[] metadata(String protocol) {
        return protocols.get(protocol);
    }

    byte[] assignment() {
        return assignment;
    }

    void assignment(byte[] bytes) {
        this.assignment = bytes == null ? new byte[0] : bytes;
    }

    void update(int rebalanceTimeoutMs, int sessionTimeoutMs, Map<String, byte[]> protocols) {
        this.rebalanceTimeoutMs = rebalanceTimeoutMs;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.protocols = new LinkedHashMap<>(protocols);
    }

    /** Whether these protocols are the ones the member already has (same names, order and metadata). */
    boolean sameProtocols(Map<String, byte[]> other) {
        if (!protocols.keySet().stream().toList().equals(other.keySet().stream().toList())) {
            return false;
        }
        return protocols.entrySet().stream()
                .allMatch(e -> java.util.Arrays.equals(e.getValue(), other.get(e.getKey())));
    }

    boolean isAwaitingJoin() {
        return awaitingJoin != null;
    }
}
