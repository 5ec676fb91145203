package dev.strata.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JaasConfigParserTest {

    @Test
    void readsModulesFlagsAndQuotedOrBareOptions() {
        List<JaasConfigParser.LoginModule> modules =
                JaasConfigParser.parse("org.apache.kafka.common.security.plain.PlainLoginModule required\n"
                        + "  username=\"admin\" password=\"a b;c=\\\"d\\\\\"\n"
                        + "  user_alice=alice-secret;\n"
                        + " other.Module OPTIONAL;");
        assertThat(modules).hasSize(2);
        assertThat(modules.get(0).className()).isEqualTo("org.apache.kafka.common.security.plain.PlainLoginModule");
        assertThat(modules.get(0).flag()).isEqualTo("required");
        assertThat(modules.get(0).options())
                .isEqualTo(Map.of("username", "admin", "password", "a b;c=\"d\\", "user_alice", "alice-secret"));
        assertThat(modules.get(1)).isEqualTo(new JaasConfigParser.LoginModule("other.Module", "optional", Map.of()));
    }

    @Test
    void malformedTextIsRefusedWithoutEchoingIt() {
        for (String bad : List.of(
                "",
                "org.Module required user_a=\"secret-1\"",
                "org.Module mandatory user_a=\"secret-1\";",
                "org.Module required user_a \"secret-1\";",
                "org.Module required user_a=\"secret-1;")) {
            assertThatThrownBy(() -> JaasConfigParser.parse(bad))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageNotContaining("secret-1");
        }
    }
}
