package dev.strata.bench.jmh;

import dev.strata.broker.security.AclAuthorizer;
import dev.strata.broker.security.AclSet;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One authorization decision ({@link AclAuthorizer#authorize}), what every request pays per topic, group or id it
 * names once {@code authorizer.class.name} is set: with {@code acls} ACLs on topics, half literal (one per topic) and
 * half prefixed (prefixes of three lengths), for a topic a literal ACL allows, one a prefixed ACL allows, and one no
 * ACL names.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AclAuthorizeBench {
    private static final KafkaPrincipal USER = new KafkaPrincipal("User", "user-7");
    private static final InetAddress HOST = InetAddress.getLoopbackAddress();

    @Param({"10", "10000"})
    public int acls;

    private AclAuthorizer authorizer;

    @Setup
    public void setup() {
        List<AclBinding> bindings = new ArrayList<>();
        for (int i = 0; i < acls / 2; i++) {
            bindings.add(acl("topic-" + i, PatternType.LITERAL, "User:user-" + (i % 10)));
            String prefix = List.of("p", "pre", "prefix-").get(i % 3) + i + "-";
            bindings.add(acl(prefix, PatternType.PREFIXED, "User:user-" + (i % 10)));
        }
        AclSet set = AclSet.of(bindings);
        authorizer = new AclAuthorizer(Set.of("User:admin"), false, () -> set);
    }

    private static AclBinding acl(String name, PatternType pattern, String principal) {
        return new AclBinding(
                new ResourcePattern(ResourceType.TOPIC, name, pattern),
                new AccessControlEntry(principal, "*", AclOperation.READ, AclPermissionType.ALLOW));
    }

    @Benchmark
    public boolean literalAllowed() {
        return authorizer.authorize(USER, HOST, AclOperation.READ, ResourceType.TOPIC, "topic-7");
    }

    @Benchmark
    public boolean prefixedAllowed() {
        return authorizer.authorize(USER, HOST, AclOperation.DESCRIBE, ResourceType.TOPIC, "pre7-orders");
    }

    @Benchmark
    public boolean noAcl() {
        return authorizer.authorize(
                USER, HOST, AclOperation.READ, ResourceType.TOPIC, "unnamed-topic-with-a-long-name");
    }
}
