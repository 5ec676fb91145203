package dev.strata.broker.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OffsetMapTest {

    private static ByteBuffer key(String key) {
        return ByteBuffer.wrap(key.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void remembersTheLatestOffsetOfEachKeyWhileGrowing() {
        OffsetMap map = new OffsetMap(24L * 65536);
        for (int i = 0; i < 50_000; i++) {
            map.put(key("k" + (i % 20_000)), i);
        }
        assertThat(map.size()).isEqualTo(20_000);
        assertThat(map.get(key("k0"))).isEqualTo(40_000);
        assertThat(map.get(key("k19999"))).isEqualTo(39_999);
        assertThat(map.get(key("missing"))).isEqualTo(-1);

        map.clear();
        assertThat(map.size()).isZero();
        assertThat(map.get(key("k0"))).isEqualTo(-1);
    }

    @Test
    void isFullAtNinetyPercentOfTheSlotsTheBudgetAllows() {
        OffsetMap map = new OffsetMap(24L * 1024);
        assertThat(map.capacity()).isEqualTo(921);
        for (int i = 0; i < map.capacity(); i++) {
            map.put(key("k" + i), i);
        }
        assertThat(map.wouldOverflow(1)).isTrue();
        assertThat(map.wouldOverflow(0)).isFalse();
        assertThatThrownBy(() -> map.put(key("one more"), 0)).isInstanceOf(IllegalStateException.class);
        map.put(key("k5"), 5000);
        assertThat(map.get(key("k5"))).isEqualTo(5000);
    }
}
