package dev.strata.broker.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.quota.QuotaEntity.Part;
import java.util.Map;
import org.apache.kafka.common.errors.ThrottlingQuotaExceededException;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.junit.jupiter.api.Test;

/**
 * The accounting of {@code controller_mutation_rate} (KIP-599), with the time given: a token bucket of burst windows x
 * window seconds x rate that starts full; strict refuses a mutation only when the bucket is already below zero.
 */
class MutationQuotaTest {
    private static final KafkaPrincipal ALICE = new KafkaPrincipal(KafkaPrincipal.USER_TYPE, "alice");
    private static final long T0 = 1_000_000;

    /** Byte-rate windows do not matter here; controller windows: 11 of 1 s, Kafka's defaults. */
    private final ClientQuotaManager quotas = new ClientQuotaManager(2, 1, 11, 1);

    private void rate(double partitionsPerSecond) {
        quotas.update(
                new QuotaEntity(Part.named("alice"), null),
                Map.of("controller_mutation_rate", Double.toString(partitionsPerSecond)));
    }

    @Test
    void withoutAQuotaEveryMutationIsMadeAndNothingThrottled() {
        MutationQuota quota = quotas.mutationQuota(ALICE, "app", true, T0);
        assertThat(quota.bounded()).isFalse();
        quota.record(1_000_000);
        assertThat(quota.throttleTimeMs()).isZero();
    }

    @Test
    void strictRefusesOnlyOnceTheBucketIsAlreadyBelowZero() {
        rate(2); // burst 11 x 1 s x 2 = 22 partitions
        MutationQuota first = quotas.mutationQuota(ALICE, "app", true, T0);
        first.record(20); // 2 left
        first.record(10); // found 2 >= 0: made, now -8
        assertThat(first.throttleTimeMs()).isZero();

        MutationQuota second = quotas.mutationQuota(ALICE, "app", true, T0 + 1000); // refilled 2: -6
        assertThatThrownBy(() -> second.record(1))
                .isInstanceOfSatisfying(ThrottlingQuotaExceededException.class, e -> assertThat(e.throttleTimeMs())
                        .isEqualTo(3000));
        assertThat(second.throttleTimeMs()).isEqualTo(3000); // -6 at 2 a second

        MutationQuota later = quotas.mutationQuota(ALICE, "app", true, T0 + 4000); // back at 0
        later.record(5);
        assertThat(later.throttleTimeMs()).isZero();
    }

    @Test
    void permissiveMakesEveryMutationAndThrottlesOnceTheBucketIsBelowZero() {
        rate(2);
        MutationQuota quota = quotas.mutationQuota(ALICE, "app", false, T0);
        quota.record(22);
        assertThat(quota.throttleTimeMs()).isZero();
        quota.record(8); // -8
        assertThat(quota.throttleTimeMs()).isEqualTo(4000);
        quota.record(1); // -9: still made
        assertThat(quota.throttleTimeMs()).isEqualTo(4500);
    }

    @Test
    void theBucketRefillsAtTheRateUpToTheBurst() {
        rate(0.5); // burst 5.5
        MutationQuota quota = quotas.mutationQuota(ALICE, "app", true, T0);
        quota.record(6); // -0.5
        MutationQuota idle = quotas.mutationQuota(ALICE, "app", true, T0 + 3_600_000);
        idle.record(5); // an hour later the bucket holds its burst, 5.5, no more
        idle.record(1); // 0.5 left: made, -0.5
        assertThatThrownBy(() -> idle.record(1)).isInstanceOf(ThrottlingQuotaExceededException.class);
        assertThat(idle.throttleTimeMs()).isEqualTo(1000);
    }

    @Test
    void aClientIdWithoutTheQuotaOfAnotherEntityIsNotBounded() {
        quotas.update(new QuotaEntity(null, Part.named("tool")), Map.of("controller_mutation_rate", "1"));
        assertThat(quotas.mutationQuota(ALICE, "app", true, T0).bounded()).isFalse();
        assertThat(quotas.mutationQuota(ALICE, "tool", true, T0).bounded()).isTrue();
    }
}
