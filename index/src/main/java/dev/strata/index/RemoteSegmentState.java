package dev.strata.index;

/**
 * Lifecycle of a remote segment (KIP-405), with every legal transition in {@link #isValidTransition}.
 *
 * <pre>
 *   (absent) -> COPY_STARTED -> COPY_FINISHED -> DELETE_STARTED -> DELETE_FINISHED
 *                    \__________________________/
 * </pre>
 *
 * <p>COPY_STARTED may go straight to DELETE_STARTED: that is how the debris of a failed or interrupted upload is
 * cleaned up. Staying in the same state is legal so that a retried write (after a timeout or a restart) is
 * idempotent. Only {@link #COPY_FINISHED} segments are visible to readers.
 *
 * <p>Each state has a stable one-byte {@link #id()} that is written to RocksDB and to manifests; never reuse or
 * renumber one.
 */
public enum RemoteSegmentState {
    COPY_STARTED((byte) 0),
    COPY_FINISHED((byte) 1),
    DELETE_STARTED((byte) 2),
    DELETE_FINISHED((byte) 3);

    private static final RemoteSegmentState[] BY_ID = {COPY_STARTED, COPY_FINISHED, DELETE_STARTED, DELETE_FINISHED};

    private final byte id;

    RemoteSegmentState(byte id) {
        this.id = id;
    }

    /** The stable byte that stands for this state in stored bytes. */
    public byte id() {
        return id;
    }

    /** Whether readers (fetch, ListOffsets, sizes) may see a segment in this state. */
    public boolean isReadable() {
        return this == COPY_FINISHED;
    }

    /**
     * The state with the given stored id.
     *
     * @throws IllegalArgumentException if no state has that id
     */
    public static RemoteSegmentState forId(byte id) {
        if (id < 0 || id >= BY_ID.length) {
            throw new IllegalArgumentException("Unknown remote segment state id " + id);
        }
        return BY_ID[id];
    }

    /**
     * Whether a segment may move from {@code from} to {@code to}.
     *
     * @param from the stored state, or {@code null} for a segment that is not stored yet
     * @param to the new state
     */
    public static boolean isValidTransition(RemoteSegmentState from, RemoteSegmentState to) {
        if (to == null) {
            return false;
        }
        if (from == null) {
            return to == COPY_STARTED;
        }
        if (from == to) {
            return true;
        }
        return switch (from) {
            case COPY_STARTED -> to == COPY_FINISHED || to == DELETE_STARTED;
            case COPY_FINISHED -> to == DELETE_STARTED;
            case DELETE_STARTED -> to == DELETE_FINISHED;
            case DELETE_FINISHED -> false;
        };
    }
}
