package dev.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.testing.ManualTime;
import org.junit.jupiter.api.Test;

class UploadRateLimiterTest {

    private final ManualTime time = new ManualTime(0);

    @Test
    void aFullBucketCoversOneSecondOfBytes() {
        UploadRateLimiter limiter = new UploadRateLimiter(time, 1_000);

        assertThat(limiter.reserve(600)).isZero();
        assertThat(limiter.reserve(400)).isZero();
        assertThat(limiter.acquiredBytes()).isEqualTo(1_000);
    }

    @Test
    void debtIsRepaidAtTheConfiguredRate() {
        UploadRateLimiter limiter = new UploadRateLimiter(time, 1_000);

        assertThat(limiter.reserve(3_000)).as("two seconds of debt").isEqualTo(2_000);
        time.advance(2_000);
        assertThat(limiter.reserve(0)).isZero();
        assertThat(limiter.reserve(1)).isEqualTo(1);
    }

    @Test
    void acquireSleepsForTheDebt() {
        UploadRateLimiter limiter = new UploadRateLimiter(time, 500);

        limiter.acquire(1_500);

        assertThat(limiter.throttledMs()).isEqualTo(2_000);
        assertThat(time.milliseconds()).isEqualTo(2_000);
    }

    @Test
    void anIdleBucketHoldsAtMostOneSecond() {
        UploadRateLimiter limiter = new UploadRateLimiter(time, 1_000);
        time.advance(60_000);

        assertThat(limiter.reserve(2_000)).isEqualTo(1_000);
    }

    @Test
    void rejectsANonPositiveRate() {
        assertThatThrownBy(() -> new UploadRateLimiter(time, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anUnlimitedRateNeverMakesACallerWait() {
        UploadRateLimiter limiter = new UploadRateLimiter(time, UploadRateLimiter.UNLIMITED);

        assertThat(limiter.reserve(Long.MAX_VALUE / 2000)).isZero();
        assertThat(limiter.reserve(1)).isZero();
        assertThat(limiter.acquiredBytes()).isEqualTo(Long.MAX_VALUE / 2000 + 1);
    }

    @Test
    void aNewRateTakesEffectForTheNextReservation() {
        UploadRateLimiter limiter = new UploadRateLimiter(time, UploadRateLimiter.UNLIMITED);
        assertThat(limiter.reserve(5_000)).isZero();

        limiter.setBytesPerSecond(1_000);
        assertThat(limiter.reserve(3_000))
                .as("a full bucket of the new rate, then two seconds of debt")
                .isEqualTo(2_000);

        limiter.setBytesPerSecond(UploadRateLimiter.UNLIMITED);
        assertThat(limiter.reserve(3_000)).as("the debt is forgiven").isZero();
        assertThat(limiter.bytesPerSecond()).isEqualTo(UploadRateLimiter.UNLIMITED);
    }
}
