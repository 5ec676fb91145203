package dev.strata.broker.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.console.ConsoleState.BrokerRow;
import dev.strata.broker.console.ConsoleState.GroupRow;
import dev.strata.broker.console.ConsoleState.LagRow;
import dev.strata.broker.console.ConsoleState.Overview;
import dev.strata.broker.console.ConsoleState.PartitionRow;
import dev.strata.broker.console.ConsoleState.TopicRow;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsoleJsonTest {

    @Test
    void clusterListsTheBrokersWithTheirState() {
        Overview o = new Overview(1, "abc", 1, List.of(new BrokerRow(1, "127.0.0.1", 9092, null, false, true)), null);

        assertThat(ConsoleJson.cluster(o))
                .isEqualTo(
                        "{\"brokerId\":1,\"clusterId\":\"abc\",\"controllerId\":1,\"brokers\":[{\"id\":1,"
                                + "\"host\":\"127.0.0.1\",\"port\":9092,\"rack\":null,\"fenced\":false,\"controller\":true}]}\n");
    }

    @Test
    void topicsCarryReplicasAndIsrAndEscapeNames() {
        String json = ConsoleJson.topics(List.of(
                new TopicRow("a\"b, c", "id", false, List.of(new PartitionRow(0, 1, List.of(1, 2), List.of(2))))));

        assertThat(json)
                .isEqualTo("{\"topics\":[{\"topic\":\"a\\\"b, c\",\"topicId\":\"id\",\"internal\":false,"
                        + "\"partitions\":[{\"partition\":0,\"leader\":1,\"replicas\":[1,2],\"isr\":[2]}]}]}\n");
    }

    @Test
    void groupsCarryLagPerPartition() {
        String json = ConsoleJson.groups(
                List.of(new GroupRow("g", "classic", "Empty", List.of(new LagRow("t", 0, 1, 3, 2)), 2)));

        assertThat(json)
                .isEqualTo("{\"groups\":[{\"group\":\"g\",\"type\":\"classic\",\"state\":\"Empty\",\"totalLag\":2,"
                        + "\"offsets\":[{\"topic\":\"t\",\"partition\":0,\"committedOffset\":1,\"endOffset\":3,"
                        + "\"lag\":2}]}]}\n");
    }
}
