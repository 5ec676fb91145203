package dev.strata.index;

/** A write tried to move a remote segment to a state that its stored state may not move to. */
public final class IllegalStateTransitionException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final RemoteSegmentId segmentId;
    private final RemoteSegmentState from;
    private final RemoteSegmentState to;

    /**
     * @param segmentId the segment written
     * @param from its stored state, or {@code null} if it is not stored
     * @param to the state the write asked for
     */
    public IllegalStateTransitionException(RemoteSegmentId segmentId, RemoteSegmentState from, RemoteSegmentState to) {
        super("Illegal state transition " + (from == null ? "(absent)" : from) + " -> " + to + " for " + segmentId);
        this.segmentId = segmentId;
        this.from = from;
        this.to = to;
    }

    public RemoteSegmentId segmentId() {
        return segmentId;
    }

    /** The stored state, or {@code null} if the segment was not stored. */
    public RemoteSegmentState from() {
        return from;
    }

    public RemoteSegmentState to() {
        return to;
    }
}
