package dev.strata.broker.security;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The cluster's ACLs at one moment, immutable, indexed for the question every request asks: which ACLs apply to this
 * resource? Literal ACLs are found by name (and the literal {@code *}, which matches every name of its type), prefixed
 * ones by looking up the name's beginning once for each length a prefix of that type has. A change makes a new set ({@link #with},
 * {@link #without}), so a reader never sees half of one.
 *
 * <p>The rules are Kafka's ({@code StandardAuthorizer}): an ACL applies when its principal is the caller's or
 * {@code User:*} and its host is the caller's address or {@code *}; a DENY that applies wins over any ALLOW; an ALLOW
 * of READ, WRITE, DELETE or ALTER also allows DESCRIBE, an ALLOW of ALTER_CONFIGS also DESCRIBE_CONFIGS, and ALL
 * allows (or denies) everything. When no ACL at all names the resource, the caller gets the authorizer's default.
 */
public final class AclSet {
    public static final AclSet EMPTY = new AclSet(List.of());

    static final String WILDCARD = ResourcePattern.WILDCARD_RESOURCE;
    static final String WILDCARD_PRINCIPAL = "User:*";

    private final List<AclBinding> all;
    private final Map<ResourceType, Map<String, List<AclBinding>>> literal = new EnumMap<>(ResourceType.class);
    private final Map<ResourceType, Map<String, List<AclBinding>>> prefixed = new EnumMap<>(ResourceType.class);
    /** The distinct lengths of each type's prefixes, ascending: a name is looked up once per length, not per ACL. */
    private final Map<ResourceType, int[]> prefixLengths = new EnumMap<>(ResourceType.class);

    private AclSet(Collection<AclBinding> bindings) {
        this.all = List.copyOf(bindings);
        for (AclBinding b : all) {
            ResourcePattern p = b.pattern();
            if (p.patternType() == PatternType.PREFIXED) {
                prefixed.computeIfAbsent(p.resourceType(), t -> new HashMap<>())
                        .computeIfAbsent(p.name(), n -> new ArrayList<>())
                        .add(b);
            } else {
                literal.computeIfAbsent(p.resourceType(), t -> new HashMap<>())
                        .computeIfAbsent(p.name(), n -> new ArrayList<>())
                        .add(b);
            }
        }
        prefixed.forEach((type, byPrefix) -> prefixLengths.put(
                type,
                byPrefix.keySet().stream()
                        .mapToInt(String::length)
                        .distinct()
                        .sorted()
                        .toArray()));
    }

    public static AclSet of(Collection<AclBinding> bindings) {
        return bindings.isEmpty() ? EMPTY : new AclSet(new LinkedHashSet<>(bindings));
    }

    /** This set and {@code added}; an ACL already in the set is not added twice. */
    public AclSet with(Collection<AclBinding> added) {
        Set<AclBinding> next = new LinkedHashSet<>(all);
        next.addAll(added);
        return next.size() == all.size() ? this : new AclSet(next);
    }

    /** This set without {@code removed}. */
    public AclSet without(Collection<AclBinding> removed) {
        Set<AclBinding> next = new LinkedHashSet<>(all);
        next.removeAll(removed);
        return next.size() == all.size() ? this : new AclSet(next);
    }

    public List<AclBinding> all() {
        return all;
    }

    /** The ACLs in a stable order (type, pattern, name, principal, host, operation, permission): for snapshots. */
    public List<AclBinding> sorted() {
        return all.stream().sorted(Comparator.comparing(AclSet::sortKey)).toList();
    }

    private static String sortKey(AclBinding b) {
        AccessControlEntry e = b.entry();
        return b.pattern().resourceType().code() + "\0"
                + b.pattern().patternType().code() + "\0"
                + b.pattern().name() + "\0" + e.principal() + "\0" + e.host() + "\0"
                + e.operation().code() + "\0"
                + e.permissionType().code();
    }

    /** The ACLs {@code filter} matches, as DescribeAcls and DeleteAcls select them. */
    public List<AclBinding> matching(AclBindingFilter filter) {
        return all.stream().filter(filter::matches).toList();
    }

    /** What the ACLs say about {@code principal} at {@code host} doing {@code operation} on one resource. */
    public Decision decide(String principal, String host, AclOperation operation, ResourceType type, String name) {
        boolean anyForResource = false;
        boolean allowed = false;
        for (AclBinding b : applicable(type, name)) {
            anyForResource = true;
            AclPermissionType result = result(b.entry(), principal, host, operation);
            if (result == AclPermissionType.DENY) {
                return Decision.DENIED;
            }
            allowed |= result == AclPermissionType.ALLOW;
        }
        if (allowed) {
            return Decision.ALLOWED;
        }
        return anyForResource ? Decision.DENIED : Decision.NO_ACLS;
    }

    /**
     * Whether some ACL lets {@code principal} do {@code operation} on some resource of {@code type} (Kafka's
     * {@code authorizeByResourceType}, which idempotent producers without IDEMPOTENT_WRITE rely on): an applicable
     * ALLOW whose resource no applicable DENY covers (a literal {@code *} DENY, a DENY on the same pattern, or a
     * prefixed DENY of a prefix of its name).
     */
    public Decision decideAny(String principal, String host, AclOperation operation, ResourceType type) {
        List<AclBinding> ofType =
                all.stream().filter(b -> b.pattern().resourceType() == type).toList();
        if (ofType.isEmpty()) {
            return Decision.NO_ACLS;
        }
        List<ResourcePattern> denied = ofType.stream()
                .filter(b -> result(b.entry(), principal, host, operation) == AclPermissionType.DENY)
                .map(AclBinding::pattern)
                .toList();
        for (AclBinding b : ofType) {
            if (result(b.entry(), principal, host, operation) == AclPermissionType.ALLOW
                    && denied.stream().noneMatch(d -> covers(d, b.pattern()))) {
                return Decision.ALLOWED;
            }
        }
        return Decision.DENIED;
    }

    private static boolean covers(ResourcePattern deny, ResourcePattern allow) {
        if (deny.patternType() == PatternType.LITERAL && deny.name().equals(WILDCARD)) {
            return true;
        }
        if (deny.patternType() == PatternType.PREFIXED) {
            return allow.name().startsWith(deny.name());
        }
        return deny.equals(allow);
    }

    private List<AclBinding> applicable(ResourceType type, String name) {
        List<AclBinding> found = new ArrayList<>();
        Map<String, List<AclBinding>> byName = literal.getOrDefault(type, Map.of());
        found.addAll(byName.getOrDefault(name, List.of()));
        if (!name.equals(WILDCARD)) {
            found.addAll(byName.getOrDefault(WILDCARD, List.of()));
        }
        Map<String, List<AclBinding>> byPrefix = prefixed.get(type);
        if (byPrefix != null) {
            for (int length : prefixLengths.get(type)) {
                if (length > name.length()) {
                    break;
                }
                found.addAll(byPrefix.getOrDefault(name.substring(0, length), List.of()));
            }
        }
        return found;
    }

    /** ALLOW or DENY when the entry applies to this caller and operation, else null. */
    static AclPermissionType result(AccessControlEntry e, String principal, String host, AclOperation operation) {
        if (!e.principal().equals(principal) && !e.principal().equals(WILDCARD_PRINCIPAL)) {
            return null;
        }
        if (!e.host().equals(WILDCARD) && !e.host().equals(host)) {
            return null;
        }
        if (e.operation() != AclOperation.ALL && e.operation() != operation) {
            // implied operations come only from ALLOW entries: a DENY of READ does not deny DESCRIBE
            boolean implied = e.permissionType() == AclPermissionType.ALLOW
                    && switch (operation) {
                        case DESCRIBE -> switch (e.operation()) {
                            case READ, WRITE, DELETE, ALTER -> true;
                            default -> false;
                        };
                        case DESCRIBE_CONFIGS -> e.operation() == AclOperation.ALTER_CONFIGS;
                        default -> false;
                    };
            if (!implied) {
                return null;
            }
        }
        return e.permissionType();
    }

    /** The outcome of the ACLs alone; the authorizer turns {@link #NO_ACLS} into its default. */
    public enum Decision {
        ALLOWED,
        DENIED,
        NO_ACLS
    }
}
