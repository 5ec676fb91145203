package dev.strata.broker.metadata.quorum;

/**
 * Where a registered broker stands with the controller. A broker registers {@link #FENCED}; its first heartbeat seen by
 * the controller makes it {@link #UNFENCED}; missing heartbeats for a session timeout fence it again. A controlled
 * shutdown makes it {@link #SHUT_DOWN}: fenced, and heartbeats from that run no longer unfence it, only a new
 * registration (the next start) does. Only an unfenced broker leads or is in an ISR it was not already the last member
 * of.
 *
 * <p>The byte of each state is part of the snapshot format: never renumber.
 */
enum BrokerState {
    FENCED(0),
    UNFENCED(1),
    SHUT_DOWN(2);

    final byte code;

    BrokerState(int code) {
        this.code = (byte) code;
    }

    boolean isValidTransition(BrokerState to) {
        return switch (this) {
            case FENCED -> to == UNFENCED || to == SHUT_DOWN;
            case UNFENCED -> to == FENCED || to == SHUT_DOWN;
            case SHUT_DOWN -> false; // only a new registration brings it back, as FENCED
        };
    }

    static BrokerState fromCode(byte code) throws java.io.IOException {
        for (BrokerState s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        throw new java.io.IOException("Unknown broker state " + code);
    }
}
