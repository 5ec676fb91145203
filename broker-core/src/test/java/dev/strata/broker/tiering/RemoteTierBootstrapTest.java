package dev.strata.broker.tiering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.log.EpochEntry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A follower reads the leader-epoch history of the remote tier's last segment from Kafka's checkpoint text. */
class RemoteTierBootstrapTest {

    @Test
    void readsTheCheckpointThatTieringUploads() {
        byte[] checkpoint = LogTieredPartition.checkpoint(
                        List.of(new EpochEntry(0, 0), new EpochEntry(3, 120), new EpochEntry(5, 400)), 399)
                .array();
        assertThat(RemoteTierBootstrap.parseCheckpoint(checkpoint))
                .containsExactly(new EpochEntry(0, 0), new EpochEntry(3, 120));
    }

    @Test
    void refusesWhatIsNotACheckpoint() {
        assertThatThrownBy(() -> RemoteTierBootstrap.parseCheckpoint("1\n0\n".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RemoteTierBootstrap.parseCheckpoint("0\n2\n1 0\n".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
