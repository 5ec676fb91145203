package dev.strata.broker.security;

import java.net.InetAddress;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;

/**
 * Decides whether a principal may do an operation on a resource: the question every request handler asks before it
 * acts. A broker without {@code authorizer.class.name} has {@link #ALLOW_ALL}, which allows everything (and has no
 * ACLs to manage: the ACL APIs answer SECURITY_DISABLED).
 */
public interface Authorizer {

    Authorizer ALLOW_ALL = new Authorizer() {
        @Override
        public boolean authorize(
                KafkaPrincipal principal, InetAddress host, AclOperation operation, ResourceType type, String name) {
            return true;
        }

        @Override
        public boolean authorizeAny(
                KafkaPrincipal principal, InetAddress host, AclOperation operation, ResourceType type) {
            return true;
        }

        @Override
        public boolean enabled() {
            return false;
        }
    };

    /** The name of the one cluster resource, as Kafka names it. */
    String CLUSTER_NAME = "kafka-cluster";

    /**
     * @param host the client's address, null when unknown (then only ACLs for every host, {@code *}, apply)
     */
    boolean authorize(
            KafkaPrincipal principal, InetAddress host, AclOperation operation, ResourceType type, String name);

    /** Whether the principal may do {@code operation} on at least one resource of {@code type}. */
    boolean authorizeAny(KafkaPrincipal principal, InetAddress host, AclOperation operation, ResourceType type);

    /** False only for {@link #ALLOW_ALL}: ACLs can be managed. */
    default boolean enabled() {
        return true;
    }
}
