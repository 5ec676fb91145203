package dev.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PendingDeletionsTest {

    @TempDir
    Path dir;

    private final TopicIdPartition orders = new TopicIdPartition(Uuid.randomUuid(), 3, "orders.v1-eu");
    private final TopicIdPartition payments = new TopicIdPartition(Uuid.randomUuid(), 0, "payments");

    @Test
    void aDeletionRecordedIsReadBackByTheNextLoadUntilRemoved() throws IOException {
        PendingDeletions pending = PendingDeletions.load(dir);
        pending.add(orders);
        pending.add(payments);

        assertThat(PendingDeletions.load(dir).partitions()).containsExactly(orders, payments);
        assertThat(Files.readAllLines(dir.resolve(PendingDeletions.FILE_NAME)))
                .containsExactly("0", "2", orders.topicId() + " 3 orders.v1-eu", payments.topicId() + " 0 payments");

        pending.remove(orders);
        assertThat(PendingDeletions.load(dir).partitions()).containsExactly(payments);
        assertThat(dir.resolve(PendingDeletions.FILE_NAME + ".tmp")).doesNotExist();
    }

    @Test
    void noFileMeansNothingPending() throws IOException {
        assertThat(PendingDeletions.load(dir).partitions()).isEmpty();
        assertThat(dir.resolve(PendingDeletions.FILE_NAME)).doesNotExist();
    }

    @Test
    void aMalformedFileIsRefusedNotIgnored() throws IOException {
        Files.writeString(dir.resolve(PendingDeletions.FILE_NAME), "0\n2\nnot-a-uuid 0 orders\n");

        assertThatThrownBy(() -> PendingDeletions.load(dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(PendingDeletions.FILE_NAME);
    }
}
