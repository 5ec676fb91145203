package dev.strata.broker.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.metrics.TierStatusReport.PartitionTiers;
import dev.strata.broker.metrics.TierStatusReport.Snapshot;
import dev.strata.broker.metrics.TierStatusReport.TopicTiers;
import dev.strata.broker.metrics.TierStatusReport.Totals;
import dev.strata.tiering.PartitionTierStatus;
import dev.strata.tiering.RemoteLogManagerStats.CopyLag;
import java.util.List;
import org.junit.jupiter.api.Test;

class TierStatusReportTest {

    @Test
    void theJsonDocumentHasTheFieldsTheReadmeAndStrataTierStatusExpect() {
        PartitionTierStatus remote =
                new PartitionTierStatus(15, 61_470, 0, 284, 1_796_457_600_000L, true, CopyLag.NONE, 0, null, -1);
        List<PartitionTiers> partitions = List.of(new PartitionTiers(0, true, 0, 285, 300, 300, 4_390, 1, remote));
        Totals total = Totals.of(partitions);
        Snapshot snapshot = new Snapshot(1, true, total, List.of(new TopicTiers("demo\"", true, total, partitions)));

        assertThat(TierStatusReport.json(snapshot))
                .isEqualTo("{\"brokerId\":1,\"remoteStorageSystemEnabled\":true,"
                        + "\"total\":{\"partitions\":1,\"localBytes\":4390,\"remoteBytes\":61470,\"remoteSegments\":15,"
                        + "\"copyLagBytes\":0,\"copyLagSegments\":0,\"failedCopies\":0},"
                        + "\"topics\":[{\"topic\":\"demo\\\"\",\"remoteStorageEnabled\":true,"
                        + "\"total\":{\"partitions\":1,\"localBytes\":4390,\"remoteBytes\":61470,\"remoteSegments\":15,"
                        + "\"copyLagBytes\":0,\"copyLagSegments\":0,\"failedCopies\":0},"
                        + "\"partitions\":[{\"partition\":0,\"leader\":true,\"logStartOffset\":0,"
                        + "\"localLogStartOffset\":285,\"highestRemoteOffset\":284,\"remoteLogStartOffset\":0,"
                        + "\"highWatermark\":300,\"logEndOffset\":300,\"localBytes\":4390,\"localSegments\":1,"
                        + "\"remoteBytes\":61470,\"remoteSegments\":15,\"copying\":true,\"copyLagBytes\":0,"
                        + "\"copyLagSegments\":0,\"lastCopyTimeMs\":1796457600000,\"failedCopies\":0,"
                        + "\"lastCopyError\":null,\"lastCopyErrorTimeMs\":-1}]}]}\n");
    }
}
