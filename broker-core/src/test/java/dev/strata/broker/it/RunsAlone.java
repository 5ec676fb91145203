package dev.strata.broker.it;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * An integration test class that runs with no other test class beside it: it starts brokers in child JVMs (often a
 * cluster of three) or another server, kills and restarts them, and waits on timeouts that assume the machine's cores
 * are its own. The build runs these one after the other in a single fork, and every other integration test class in
 * two forks at once (broker-core's pom.xml: failsafe's {@code alone} and {@code default} executions).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag(RunsAlone.TAG)
public @interface RunsAlone {
    String TAG = "runs-alone";
}
