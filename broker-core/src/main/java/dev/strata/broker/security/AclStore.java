package dev.strata.broker.security;

import java.util.Collection;

/**
 * Where the cluster's ACLs live: the replicated metadata (the quorum's log and snapshots), so that every broker sees
 * the same ACLs and they survive restarts. Changes are durable (committed by the quorum) when a call returns.
 */
public interface AclStore {

    /** The ACLs as this broker knows them now. */
    AclSet acls();

    /** Adds ACLs; ones already present stay as they are. */
    void createAcls(Collection<org.apache.kafka.common.acl.AclBinding> bindings);

    /** Removes exactly these ACLs; ones not present are ignored. */
    void deleteAcls(Collection<org.apache.kafka.common.acl.AclBinding> bindings);
}
