package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void parsesObjectsArraysStringsNumbersAndLiterals() {
        Object value = Json.parse(" {\"a\": [1, -2.5e1, true, false, null], \"b\": \"x\\\"\\n\\u00e9\", \"c\": {}} ");
        assertThat(value)
                .isEqualTo(map("a", Arrays.asList(1L, -25.0, true, false, null), "b", "x\"\né", "c", Map.of()));
    }

    @Test
    void writesWhatItParses() {
        String text = "{\"k\":\"tab\\there\",\"n\":12,\"l\":[null,true],\"o\":{\"x\":\"\\u0001\"}}";
        assertThat(Json.write(Json.parse(text))).isEqualTo(text);
    }

    @Test
    void refusesInvalidJsonWithThePosition() {
        assertThatThrownBy(() -> Json.parse("{\"a\":1,}")).hasMessageContaining("character");
        assertThatThrownBy(() -> Json.parse("[1 2]")).hasMessageContaining("expected ']'");
        assertThatThrownBy(() -> Json.parse("\"open")).hasMessageContaining("unterminated");
        assertThatThrownBy(() -> Json.parse("{} x")).hasMessageContaining("after the value");
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
