/**
 * The contract between the metadata quorum and the data plane of a cluster, in value types and interfaces that
 * depend on nothing else in the broker: which brokers exist and are alive ({@link ClusterBroker}), each partition's
 * replicas, leader, leader epoch and in-sync replicas ({@link PartitionState}), a read-only view of all of it
 * ({@link ClusterImage}), changes as they are applied ({@link ClusterChangeListener}), and the one write a partition
 * leader makes itself: changing its ISR ({@link IsrChannel}). The {@code metadata} package implements the view,
 * notifies the listener and serves the channel through the Raft quorum; {@code partition} reacts to the changes
 * (becoming leader or follower) and asks for ISR changes. Neither imports the other.
 */
package dev.strata.broker.cluster;
