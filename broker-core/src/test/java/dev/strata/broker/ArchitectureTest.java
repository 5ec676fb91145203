package dev.strata.broker;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.base.DescribedPredicate.or;
import static com.tngtech.archunit.core.domain.Dependency.Predicates.dependency;
import static com.tngtech.archunit.core.domain.Dependency.Predicates.dependencyTarget;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.conditions.ArchConditions.haveAnyDependenciesThat;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.SliceRule;
import java.util.List;

/**
 * The package rules of broker-core's main code, so that they do not come back once kept: no two packages below
 * {@code dev.strata.broker} need each other (when they do, one of them is missing an interface or a listener), Kafka's
 * generated protocol message classes stay in the network and handler packages (they are not public API and change
 * between kafka-clients versions), and the engine knows no storage backend, only the SPI.
 */
@AnalyzeClasses(packages = "dev.strata.broker", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    /**
     * Known violations, each with the reason it is tolerated and the work that removes it; empty today, and meant to
     * stay so. {@link #everyExemptionStillMatchesADependency} fails on an entry that no longer matches anything.
     */
    private static final List<Exemption> KNOWN_VIOLATIONS = List.of();

    private static final String MESSAGES = "org.apache.kafka.common.message..";
    private static final String S3_BACKEND = "dev.strata.remote.s3..";

    @ArchTest
    static final ArchRule packagesDoNotDependOnEachOther =
            exemptingKnownViolations(slices().matching("dev.strata.broker.(*)..")
                    .namingSlices("$1")
                    .should()
                    .beFreeOfCycles());

    @ArchTest
    static final ArchRule generatedMessagesStayInTheNetworkAndHandlerPackages = noClasses()
            .that()
            .resideOutsideOfPackages("dev.strata.broker.network..", "dev.strata.broker.api..")
            .should(haveAnyDependenciesThat(
                    dependencyTarget(resideInAPackage(MESSAGES)).and(not(knownViolation()))))
            .as("generated protocol message classes (" + MESSAGES + ") are used only in network and api");

    @ArchTest
    static final ArchRule nothingDependsOnTheS3Backend = noClasses()
            .should(haveAnyDependenciesThat(
                    dependencyTarget(resideInAPackage(S3_BACKEND)).and(not(knownViolation()))))
            .as("no class of broker-core depends on the S3 backend (" + S3_BACKEND + "); it is loaded by class name");

    /** A stale exemption would hide a violation that comes back. */
    @ArchTest
    static void everyExemptionStillMatchesADependency(JavaClasses classes) {
        for (Exemption exemption : KNOWN_VIOLATIONS) {
            assertThat(classes.stream()
                            .flatMap(c -> c.getDirectDependenciesFromSelf().stream())
                            .anyMatch(exemption.predicate()::test))
                    .as("exemption %s -> %s matches no dependency any more: delete it", exemption.from, exemption.to)
                    .isTrue();
        }
    }

    private static SliceRule exemptingKnownViolations(SliceRule rule) {
        SliceRule exempting = rule;
        for (Exemption exemption : KNOWN_VIOLATIONS) {
            exempting = exempting.ignoreDependency(resideInAPackage(exemption.from), resideInAPackage(exemption.to));
        }
        return exempting;
    }

    private static DescribedPredicate<Dependency> knownViolation() {
        return or(KNOWN_VIOLATIONS.stream().map(Exemption::predicate).toList());
    }

    /** Dependencies from classes in package pattern {@code from} to classes in package pattern {@code to}. */
    private record Exemption(String from, String to) {
        DescribedPredicate<Dependency> predicate() {
            return dependency(resideInAPackage(from), resideInAPackage(to));
        }
    }
}
