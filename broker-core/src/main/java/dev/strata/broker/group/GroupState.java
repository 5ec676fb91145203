package dev.strata.broker.group;

import java.util.EnumSet;
import java.util.Set;

/**
 * The states of a classic consumer group, with the legal transitions in one place, as Kafka defines them.
 *
 * <pre>
 * Empty -> PreparingRebalance (a member joins) | Dead (deleted, or expired with no offsets)
 * PreparingRebalance -> CompletingRebalance (every member rejoined, or the rebalance timed out) | Empty | Dead
 * CompletingRebalance -> Stable (the leader sent the assignment) | PreparingRebalance | Dead
 * Stable -> PreparingRebalance (join, leave, session expiry, new metadata) | Dead
 * </pre>
 */
public enum GroupState {
    EMPTY("Empty"),
    PREPARING_REBALANCE("PreparingRebalance"),
    COMPLETING_REBALANCE("CompletingRebalance"),
    STABLE("Stable"),
    DEAD("Dead");

    private final String kafkaName;

    GroupState(String kafkaName) {
        this.kafkaName = kafkaName;
    }

    /** The name Kafka's tools print and ListGroups filters on. */
    public String kafkaName() {
        return kafkaName;
    }

    private Set<GroupState> validPrevious() {
        return switch (this) {
            case EMPTY -> EnumSet.of(PREPARING_REBALANCE);
            case PREPARING_REBALANCE -> EnumSet.of(EMPTY, STABLE, COMPLETING_REBALANCE);
            case COMPLETING_REBALANCE -> EnumSet.of(PREPARING_REBALANCE);
            case STABLE -> EnumSet.of(COMPLETING_REBALANCE);
            case DEAD -> EnumSet.of(EMPTY, STABLE, PREPARING_REBALANCE, COMPLETING_REBALANCE, DEAD);
        };
    }

    public boolean canTransitionFrom(GroupState previous) {
        return validPrevious().contains(previous);
    }

    public static GroupState fromKafkaName(String name) {
        for (GroupState s : values()) {
            if (s.kafkaName.equalsIgnoreCase(name)) {
                return s;
            }
        }
        return null;
    }
}
