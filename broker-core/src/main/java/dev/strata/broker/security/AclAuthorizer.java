package dev.strata.broker.security;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.SecurityConfigs;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.utils.SecurityUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Strata's ACL authorizer, what {@code authorizer.class.name=dev.strata.broker.security.AclAuthorizer} turns on (Kafka's
 * {@code org.apache.kafka.metadata.authorizer.StandardAuthorizer} is accepted as another name for it, so a Kafka
 * {@code server.properties} works unchanged). It decides with Kafka's rules ({@link AclSet}) over the ACLs in the
 * cluster's metadata, read fresh for every decision; a principal in {@code super.users} may do everything; when no ACL
 * names a resource, {@code allow.everyone.if.no.acl.found} decides (false by default: denied).
 */
public final class AclAuthorizer implements Authorizer {
    private static final Logger log = LoggerFactory.getLogger(AclAuthorizer.class);
    public static final String CLASS_NAME = AclAuthorizer.class.getName();
    public static final String KAFKA_CLASS_NAME = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";

    private final Set<String> superUsers;
    private final boolean allowIfNoAcls;
    private final Supplier<AclSet> acls;

    public AclAuthorizer(Set<String> superUsers, boolean allowIfNoAcls, Supplier<AclSet> acls) {
        this.superUsers = Set.copyOf(superUsers);
        this.allowIfNoAcls = allowIfNoAcls;
        this.acls = acls;
    }

    /** The authorizer a broker's settings ask for, deciding over the ACLs in {@code store}. */
    public static Authorizer fromConfig(BrokerConfig config, AclStore store) {
        Authorizer authorizer = configured(
                config.stringValue(SecurityConfigs.AUTHORIZER_CLASS_NAME),
                config.stringValue(SecurityConfigs.SUPER_USERS),
                config.boolValue(SecurityConfigs.ALLOW_EVERYONE_IF_NO_ACL_FOUND),
                store::acls);
        if (authorizer.enabled()) {
            Set<String> superUsers = parseSuperUsers(config.stringValue(SecurityConfigs.SUPER_USERS));
            log.info("Authorizing requests with ACLs; super users {}", superUsers);
            BrokerConfig.ClientListener interBroker =
                    config.clientListeners().isEmpty() ? null : config.interBrokerListener();
            if (interBroker != null
                    && interBroker.protocol() == SecurityProtocol.PLAINTEXT
                    && !superUsers.contains(KafkaPrincipal.ANONYMOUS.toString())) {
                log.warn(
                        "Brokers reach each other over the PLAINTEXT listener {} as {}, which is not in {}: unless an"
                                + " ACL allows it CLUSTER_ACTION on the cluster, replication and transaction markers"
                                + " between brokers are refused",
                        interBroker.name(),
                        KafkaPrincipal.ANONYMOUS,
                        SecurityConfigs.SUPER_USERS);
            }
        }
        return authorizer;
    }

    /**
     * The authorizer {@code authorizer.class.name} names: none ({@link Authorizer#ALLOW_ALL}) when it is empty.
     *
     * @throws ConfigException for a class Strata does not have, or a malformed principal in {@code super.users}
     */
    public static Authorizer configured(
            String className, String superUsers, boolean allowIfNoAcls, Supplier<AclSet> acls) {
        if (className == null || className.isBlank()) {
            return Authorizer.ALLOW_ALL;
        }
        if (!className.trim().equals(CLASS_NAME) && !className.trim().equals(KAFKA_CLASS_NAME)) {
            throw new ConfigException(
                    "authorizer.class.name",
                    className,
                    "Strata's authorizer is " + CLASS_NAME + " (or " + KAFKA_CLASS_NAME + ")");
        }
        return new AclAuthorizer(parseSuperUsers(superUsers), allowIfNoAcls, acls);
    }

    /** Kafka's {@code super.users}: principals separated by semicolons, such as {@code User:admin;User:ANONYMOUS}. */
    static Set<String> parseSuperUsers(String value) {
        if (value == null || value.isBlank()) {
            return Set.of();
        }
        return Arrays.stream(value.split(";"))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .map(s -> {
                    try {
                        return SecurityUtils.parseKafkaPrincipal(s).toString();
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException("super.users", value, e.getMessage());
                    }
                })
                .collect(Collectors.toUnmodifiableSet());
    }

    @Override
    public boolean authorize(
            KafkaPrincipal principal, InetAddress host, AclOperation operation, ResourceType type, String name) {
        String who = name(principal);
        if (superUsers.contains(who)) {
            return true;
        }
        boolean allowed =
                switch (acls.get().decide(who, address(host), operation, type, name)) {
                    case ALLOWED -> true;
                    case DENIED -> false;
                    case NO_ACLS -> allowIfNoAcls;
                };
        if (!allowed && log.isDebugEnabled()) {
            // as Kafka's authorizer logger; DEBUG, since filtering Metadata asks about every topic
            log.debug(
                    "Principal = {} is Denied Operation = {} from host = {} on resource = {}:{}",
                    who,
                    operation,
                    address(host),
                    type,
                    name);
        }
        return allowed;
    }

    @Override
    public boolean authorizeAny(KafkaPrincipal principal, InetAddress host, AclOperation operation, ResourceType type) {
        String who = name(principal);
        if (superUsers.contains(who)) {
            return true;
        }
        return switch (acls.get().decideAny(who, address(host), operation, type)) {
            case ALLOWED -> true;
            case DENIED -> false;
            case NO_ACLS -> allowIfNoAcls;
        };
    }

    /** {@code Type:name}, without any subclass's extras (Kafka matches ACLs on the base principal). */
    private static String name(KafkaPrincipal principal) {
        return principal.getPrincipalType() + ":" + principal.getName();
    }

    private static String address(InetAddress host) {
        return host == null ? "" : host.getHostAddress();
    }
}
