package dev.strata.broker.it;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * An integration test class that runs with no other test class beside it: it starts a cluster of brokers (in child
 * JVMs, whose elections and fencing wait on timeouts that assume the machine's cores are theirs), or pushes a broker to
 * a limit (a full disk, a small heap, a thousand connections, the remote fetch budgets). The build runs these one after
 * the other in a single fork, and every other integration test class in two forks at once (broker-core's pom.xml:
 * failsafe's {@code alone} and {@code default} executions).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag(RunsAlone.TAG)
public @interface RunsAlone {
    String TAG = "runs-alone";
}
