package dev.strata.broker.metadata.quorum;

import dev.strata.broker.cluster.ClusterBroker;
import java.util.Set;

/**
 * A registration in the {@link MetadataImage}, where the broker stands, and the replicas it reported offline (their
 * log directory failed): those neither lead nor stay in an ISR until the broker registers again (a restart, the
 * directory repaired). Immutable; the image replaces it whole, on the state machine's apply thread.
 */
record RegisteredBroker(BrokerRegistration registration, BrokerState state, Set<MetadataImage.PartitionRef> offline) {
    RegisteredBroker {
        offline = Set.copyOf(offline);
    }

    RegisteredBroker(BrokerRegistration registration, BrokerState state) {
        this(registration, state, Set.of());
    }

    RegisteredBroker withState(BrokerState to) {
        return new RegisteredBroker(registration, to, offline);
    }

    ClusterBroker toClusterBroker() {
        return new ClusterBroker(
                registration.nodeId(),
                registration.host(),
                registration.port(),
                registration.rack(),
                state != BrokerState.UNFENCED,
                registration.endpoints());
    }
}
