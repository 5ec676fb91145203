package dev.strata.broker.config;

import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.kafka.common.config.ConfigException;

/**
 * What a node runs, Kafka's {@code process.roles}: a broker (hosts partitions, serves clients, registers with the
 * controller), a controller (a voter of the metadata quorum), or both. Unset, a node is both: a single node needs no
 * setting.
 */
public enum ProcessRoles {
    /** {@code broker,controller}: a voter that also hosts partitions (the default). */
    COMBINED,
    /** {@code broker}: hosts partitions and learns the metadata from the voters, without a vote. */
    BROKER,
    /** {@code controller}: a voter only; no partitions, no client listener, not in Metadata responses. */
    CONTROLLER;

    public static final String PROCESS_ROLES = "process.roles";

    /** Whether this node hosts partitions and serves clients. */
    public boolean isBroker() {
        return this != CONTROLLER;
    }

    /** Whether this node votes in the metadata quorum. */
    public boolean isVoter() {
        return this != BROKER;
    }

    /**
     * Parses {@code broker}, {@code controller} or both, comma-separated in any order; null or blank is
     * {@link #COMBINED}.
     */
    public static ProcessRoles parse(String spec) {
        if (spec == null || spec.isBlank()) {
            return COMBINED;
        }
        Set<String> roles = new LinkedHashSet<>();
        for (String r : spec.split(",")) {
            String role = r.trim();
            if (!role.equals("broker") && !role.equals("controller")) {
                throw new ConfigException(
                        PROCESS_ROLES, spec, "unknown role '" + role + "'; the roles are broker and controller");
            }
            if (!roles.add(role)) {
                throw new ConfigException(PROCESS_ROLES, spec, "role " + role + " appears twice");
            }
        }
        if (roles.size() == 2) {
            return COMBINED;
        }
        return roles.contains("broker") ? BROKER : CONTROLLER;
    }

    @Override
    public String toString() {
        return switch (this) {
            case COMBINED -> "broker,controller";
            case BROKER -> "broker";
            case CONTROLLER -> "controller";
        };
    }
}
