package dev.strata.broker.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MetricHistoryTest {

    @Test
    void keepsOnlyTheNewestSamplesUpToItsCapacity() {
        AtomicLong clock = new AtomicLong();
        MetricHistory history =
                new MetricHistory(3, () -> new MetricHistory.Sample(clock.getAndAdd(5_000), 0, 0, 0, 0, 0, 0, 0, 0, 0));
        assertThat(history.latest()).isNull();

        for (int i = 0; i < 5; i++) {
            history.sample();
        }

        assertThat(history.samples())
                .extracting(MetricHistory.Sample::timeMs)
                .containsExactly(10_000L, 15_000L, 20_000L);
        assertThat(history.latest().timeMs()).isEqualTo(20_000L);
    }
}
