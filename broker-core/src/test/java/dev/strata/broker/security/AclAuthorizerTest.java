package dev.strata.broker.security;

import static org.apache.kafka.common.acl.AclOperation.ALL;
import static org.apache.kafka.common.acl.AclOperation.ALTER_CONFIGS;
import static org.apache.kafka.common.acl.AclOperation.CLUSTER_ACTION;
import static org.apache.kafka.common.acl.AclOperation.DESCRIBE;
import static org.apache.kafka.common.acl.AclOperation.DESCRIBE_CONFIGS;
import static org.apache.kafka.common.acl.AclOperation.READ;
import static org.apache.kafka.common.acl.AclOperation.WRITE;
import static org.apache.kafka.common.acl.AclPermissionType.ALLOW;
import static org.apache.kafka.common.acl.AclPermissionType.DENY;
import static org.apache.kafka.common.resource.PatternType.LITERAL;
import static org.apache.kafka.common.resource.PatternType.PREFIXED;
import static org.apache.kafka.common.resource.ResourceType.CLUSTER;
import static org.apache.kafka.common.resource.ResourceType.GROUP;
import static org.apache.kafka.common.resource.ResourceType.TOPIC;
import static org.apache.kafka.common.resource.ResourceType.TRANSACTIONAL_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.junit.jupiter.api.Test;

/** Kafka's ACL rules, decided by {@link AclAuthorizer} over an {@link AclSet}. */
class AclAuthorizerTest {
    private static final KafkaPrincipal ALICE = new KafkaPrincipal("User", "alice");
    private static final KafkaPrincipal BOB = new KafkaPrincipal("User", "bob");
    private static final InetAddress HOST = InetAddress.getLoopbackAddress();

    private final List<AclBinding> acls = new ArrayList<>();
    private AclAuthorizer authorizer = authorizer(false, Set.of());

    private AclAuthorizer authorizer(boolean allowIfNoAcls, Set<String> superUsers) {
        return new AclAuthorizer(superUsers, allowIfNoAcls, () -> AclSet.of(acls));
    }

    private void acl(
            ResourceType type,
            String name,
            PatternType pattern,
            String principal,
            AclOperation op,
            AclPermissionType p) {
        acl(type, name, pattern, principal, "*", op, p);
    }

    private void acl(
            ResourceType type,
            String name,
            PatternType pattern,
            String principal,
            String host,
            AclOperation op,
            AclPermissionType p) {
        acls.add(new AclBinding(
                new ResourcePattern(type, name, pattern), new AccessControlEntry(principal, host, op, p)));
    }

    private boolean may(KafkaPrincipal who, AclOperation op, ResourceType type, String name) {
        return authorizer.authorize(who, HOST, op, type, name);
    }

    @Test
    void withoutAnyAclNobodyButSuperUsersMayDoAnything() {
        assertThat(may(ALICE, READ, TOPIC, "orders")).isFalse();
        authorizer = authorizer(false, Set.of("User:alice"));
        assertThat(may(ALICE, READ, TOPIC, "orders")).isTrue();
        assertThat(may(ALICE, CLUSTER_ACTION, CLUSTER, "kafka-cluster")).isTrue();
        assertThat(may(BOB, READ, TOPIC, "orders")).isFalse();
    }

    @Test
    void allowEveryoneIfNoAclFoundOpensOnlyResourcesNoAclNames() {
        authorizer = authorizer(true, Set.of());
        acl(TOPIC, "orders", LITERAL, "User:alice", READ, ALLOW);
        assertThat(may(BOB, READ, TOPIC, "payments")).isTrue();
        assertThat(may(BOB, READ, TOPIC, "orders")).isFalse();
        assertThat(may(ALICE, READ, TOPIC, "orders")).isTrue();
    }

    @Test
    void literalPrefixedAndWildcardPatternsMatchTheirNames() {
        acl(TOPIC, "orders", LITERAL, "User:alice", READ, ALLOW);
        acl(TOPIC, "pay-", PREFIXED, "User:alice", WRITE, ALLOW);
        acl(GROUP, "*", LITERAL, "User:alice", READ, ALLOW);
        assertThat(may(ALICE, READ, TOPIC, "orders")).isTrue();
        assertThat(may(ALICE, READ, TOPIC, "orders2")).isFalse();
        assertThat(may(ALICE, WRITE, TOPIC, "pay-eu")).isTrue();
        assertThat(may(ALICE, WRITE, TOPIC, "pay")).isFalse();
        assertThat(may(ALICE, READ, GROUP, "any-group")).isTrue();
        assertThat(may(BOB, READ, GROUP, "any-group")).isFalse();
    }

    @Test
    void denyWinsOverAllowWhateverThePatterns() {
        acl(TOPIC, "*", LITERAL, "User:*", READ, ALLOW);
        acl(TOPIC, "secret-", PREFIXED, "User:bob", READ, DENY);
        assertThat(may(BOB, READ, TOPIC, "public")).isTrue();
        assertThat(may(BOB, READ, TOPIC, "secret-plans")).isFalse();
        assertThat(may(ALICE, READ, TOPIC, "secret-plans")).isTrue();
        acl(TOPIC, "public", LITERAL, "User:*", ALL, DENY);
        assertThat(may(ALICE, READ, TOPIC, "public")).isFalse();
    }

    @Test
    void readWriteAndAlterConfigsImplyTheirDescribesButDenyImpliesNothing() {
        acl(TOPIC, "orders", LITERAL, "User:alice", WRITE, ALLOW);
        acl(TOPIC, "orders", LITERAL, "User:alice", ALTER_CONFIGS, ALLOW);
        assertThat(may(ALICE, DESCRIBE, TOPIC, "orders")).isTrue();
        assertThat(may(ALICE, DESCRIBE_CONFIGS, TOPIC, "orders")).isTrue();
        assertThat(may(ALICE, READ, TOPIC, "orders")).isFalse();

        acl(TOPIC, "orders", LITERAL, "User:bob", DESCRIBE, ALLOW);
        acl(TOPIC, "orders", LITERAL, "User:bob", READ, DENY);
        assertThat(may(BOB, DESCRIBE, TOPIC, "orders")).isTrue();

        acl(TRANSACTIONAL_ID, "tx", LITERAL, "User:bob", ALL, ALLOW);
        assertThat(may(BOB, WRITE, TRANSACTIONAL_ID, "tx")).isTrue();
        assertThat(may(BOB, DESCRIBE, TRANSACTIONAL_ID, "tx")).isTrue();
    }

    @Test
    void aHostFilterAppliesOnlyToThatAddress() {
        acl(TOPIC, "orders", LITERAL, "User:alice", HOST.getHostAddress(), READ, ALLOW);
        acl(TOPIC, "payments", LITERAL, "User:alice", "10.9.9.9", READ, ALLOW);
        assertThat(may(ALICE, READ, TOPIC, "orders")).isTrue();
        assertThat(may(ALICE, READ, TOPIC, "payments")).isFalse();
        assertThat(authorizer.authorize(ALICE, null, READ, TOPIC, "orders")).isFalse();
    }

    @Test
    void byResourceTypeAnAllowCountsUnlessADenyCoversIt() {
        assertThat(authorizer.authorizeAny(ALICE, HOST, WRITE, TOPIC)).isFalse();
        acl(TOPIC, "orders-", PREFIXED, "User:alice", WRITE, ALLOW);
        assertThat(authorizer.authorizeAny(ALICE, HOST, WRITE, TOPIC)).isTrue();
        assertThat(authorizer.authorizeAny(BOB, HOST, WRITE, TOPIC)).isFalse();
        acl(TOPIC, "ord", PREFIXED, "User:alice", WRITE, DENY);
        assertThat(authorizer.authorizeAny(ALICE, HOST, WRITE, TOPIC)).isFalse();
    }

    @Test
    void filtersSelectAclsAsDescribeAndDeleteDo() {
        acl(TOPIC, "orders", LITERAL, "User:alice", READ, ALLOW);
        acl(TOPIC, "ord", PREFIXED, "User:bob", READ, ALLOW);
        AclSet set = AclSet.of(acls);
        assertThat(set.matching(AclBindingFilter.ANY)).hasSize(2);
        assertThat(set.matching(new AclBindingFilter(
                        new org.apache.kafka.common.resource.ResourcePatternFilter(TOPIC, "orders", PatternType.MATCH),
                        org.apache.kafka.common.acl.AccessControlEntryFilter.ANY)))
                .hasSize(2);
        assertThat(set.without(List.of(acls.get(0))).all()).containsExactly(acls.get(1));
        assertThat(set.with(List.of(acls.get(0)))).isSameAs(set);
    }

    @Test
    void theClassNameAndSuperUsersAreReadAsKafkaWritesThem() {
        assertThat(AclAuthorizer.configured("", "", false, () -> AclSet.EMPTY)).isSameAs(Authorizer.ALLOW_ALL);
        assertThat(AclAuthorizer.configured(AclAuthorizer.KAFKA_CLASS_NAME, "", false, () -> AclSet.EMPTY)
                        .enabled())
                .isTrue();
        assertThat(AclAuthorizer.parseSuperUsers(" User:admin ; User:ANONYMOUS;"))
                .containsExactlyInAnyOrder("User:admin", "User:ANONYMOUS");
        assertThatThrownBy(() -> AclAuthorizer.configured("kafka.security.authorizer.AclAuthorizer", "", false, null))
                .isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> AclAuthorizer.parseSuperUsers("admin")).isInstanceOf(ConfigException.class);
    }
}
