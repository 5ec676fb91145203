package dev.strata.broker.config;

import java.util.Map;

/**
 * Where the dynamic broker configs are kept durably, for every broker of the cluster to see: the metadata quorum, as
 * Kafka keeps them as ConfigRecords in its KRaft log. An entity is {@code ""} for the cluster-wide default, a broker's
 * node id, or a client quota entity ({@code quota/users/...}, {@code quota/clients/...}), whose configs are its quotas.
 */
public interface BrokerConfigStore {

    /** The entity's dynamic configs as last applied here; empty when it has none. */
    Map<String, String> brokerConfigs(String entity);

    /**
     * Replaces the entity's dynamic configs; an empty map removes them. When this returns the change is durable and
     * this broker's metadata listeners have been told it, so it is in effect here (the path every broker's changes
     * take, in log order, so that two quick changes are applied in the order they were made).
     */
    void setBrokerConfigs(String entity, Map<String, String> configs);
}
