package dev.strata.broker.api;

import dev.strata.broker.network.RequestContext;
import dev.strata.broker.security.Authorizer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.utils.Utils;

/**
 * The questions request handling asks the {@link Authorizer}, with the caller taken from the request's context: may
 * it do this to that topic, group, transactional id or the cluster? A topic named by id is judged by its name.
 */
public final class Permissions {
    /** The operations Kafka's {@code AclEntry.supportedOperations} lists for each resource type. */
    private static final Map<ResourceType, List<AclOperation>> SUPPORTED = Map.of(
            ResourceType.TOPIC,
            List.of(
                    AclOperation.READ,
                    AclOperation.WRITE,
                    AclOperation.CREATE,
                    AclOperation.DESCRIBE,
                    AclOperation.DELETE,
                    AclOperation.ALTER,
                    AclOperation.DESCRIBE_CONFIGS,
                    AclOperation.ALTER_CONFIGS),
            ResourceType.GROUP,
            List.of(
                    AclOperation.READ,
                    AclOperation.DESCRIBE,
                    AclOperation.DELETE,
                    AclOperation.DESCRIBE_CONFIGS,
                    AclOperation.ALTER_CONFIGS),
            ResourceType.CLUSTER,
            List.of(
                    AclOperation.CREATE,
                    AclOperation.CLUSTER_ACTION,
                    AclOperation.DESCRIBE_CONFIGS,
                    AclOperation.ALTER_CONFIGS,
                    AclOperation.IDEMPOTENT_WRITE,
                    AclOperation.ALTER,
                    AclOperation.DESCRIBE));

    private final Authorizer authorizer;
    private final Function<Uuid, Optional<String>> topicNames;

    public Permissions(Authorizer authorizer, Function<Uuid, Optional<String>> topicNames) {
        this.authorizer = authorizer;
        this.topicNames = topicNames;
    }

    /** Everything allowed: a broker without an authorizer. */
    public static Permissions allowAll() {
        return new Permissions(Authorizer.ALLOW_ALL, id -> Optional.empty());
    }

    public boolean enabled() {
        return authorizer.enabled();
    }

    public boolean topic(RequestContext ctx, AclOperation op, String name) {
        return allowed(ctx, op, ResourceType.TOPIC, name);
    }

    /** A topic by name, or by id when the name is empty: an unknown id is allowed (the handler answers it). */
    public boolean topic(RequestContext ctx, AclOperation op, String name, Uuid id) {
        if (name != null && !name.isEmpty()) {
            return topic(ctx, op, name);
        }
        Optional<String> resolved = id == null ? Optional.empty() : topicNames.apply(id);
        return resolved.isEmpty() || topic(ctx, op, resolved.get());
    }

    public boolean group(RequestContext ctx, AclOperation op, String groupId) {
        return allowed(ctx, op, ResourceType.GROUP, groupId);
    }

    public boolean transactionalId(RequestContext ctx, AclOperation op, String id) {
        return allowed(ctx, op, ResourceType.TRANSACTIONAL_ID, id);
    }

    public boolean cluster(RequestContext ctx, AclOperation op) {
        return allowed(ctx, op, ResourceType.CLUSTER, Authorizer.CLUSTER_NAME);
    }

    /** Whether the caller may do {@code op} on some resource of {@code type}. */
    public boolean any(RequestContext ctx, AclOperation op, ResourceType type) {
        return authorizer.authorizeAny(ctx.principal(), host(ctx), op, type);
    }

    /**
     * Kafka's {@code authorizedOperations} field of Metadata, DescribeTopicPartitions, DescribeGroups,
     * ConsumerGroupDescribe and DescribeCluster: bit {@code code} set for each operation the resource type supports
     * that the caller may do.
     */
    public int authorizedOperations(RequestContext ctx, ResourceType type, String name) {
        Set<Byte> allowed = new HashSet<>();
        for (AclOperation op : SUPPORTED.getOrDefault(type, List.of())) {
            if (allowed(ctx, op, type, name)) {
                allowed.add(op.code());
            }
        }
        return Utils.to32BitField(allowed);
    }

    private boolean allowed(RequestContext ctx, AclOperation op, ResourceType type, String name) {
        return authorizer.authorize(ctx.principal(), host(ctx), op, type, name == null ? "" : name);
    }

    private static InetAddress host(RequestContext ctx) {
        return ctx.clientAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
    }
}
