package dev.strata.broker.tiering;

import dev.strata.broker.log.EpochEntry;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.TieredBootstrap;
import dev.strata.tiering.RemoteLogManager;
import dev.strata.tiering.RemoteLogManager.RemoteLogTail;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A follower's bootstrap from the remote tier (KIP-405): its remote index, which follows the metadata quorum's record
 * on every broker, says where the remote tier ends; the last remote segment's leader-epoch checkpoint and producer
 * snapshot come from the backend (a few hundred bytes), and the log restarts at the first offset after it. The leader
 * holds every offset from there locally (it deletes local segments only below what it has recorded as remote), so the
 * follower then fetches only the leader's local hot tail. If this broker's index has not caught up with what the
 * leader has deleted locally, nothing is done and the fetcher asks again.
 */
public final class RemoteTierBootstrap implements TieredBootstrap {
    private static final Logger log = LoggerFactory.getLogger(RemoteTierBootstrap.class);

    private final RemoteLogManager manager;
    private final LongAdder bootstraps = new LongAdder();

    public RemoteTierBootstrap(RemoteLogManager manager) {
        this.manager = manager;
    }

    @Override
    public boolean restartAfterRemoteTier(Partition partition, long leaderLogStartOffset) {
        TopicIdPartition tip = new TopicIdPartition(partition.topicId(), partition.topicPartition());
        Optional<RemoteLogTail> tail;
        try {
            tail = manager.remoteLogTail(tip);
        } catch (RemoteStorageException e) {
            log.warn("Cannot read the remote tier's tail of {} to bootstrap this follower; retrying", tip, e);
            return false;
        }
        if (tail.isEmpty() || tail.get().nextOffset() <= partition.log().logEndOffset()) {
            return false;
        }
        List<EpochEntry> epochs = parseCheckpoint(tail.get().leaderEpochCheckpoint());
        partition
                .log()
                .restartAfterRemoteTier(
                        tail.get().nextOffset(),
                        leaderLogStartOffset,
                        epochs,
                        tail.get().producerSnapshot());
        bootstraps.increment();
        log.info(
                "Follower of {} bootstrapped from the remote tier: its log restarts at {} ({} bytes of leader-epoch"
                        + " checkpoint and producer snapshot read from the remote tier)",
                tip,
                tail.get().nextOffset(),
                tail.get().leaderEpochCheckpoint().length + tail.get().producerSnapshot().length);
        return true;
    }

    /** How many follower logs were restarted after the remote tier since the broker started. */
    public long bootstraps() {
        return bootstraps.sum();
    }

    /**
     * Kafka's leader-epoch checkpoint: a version line (0), a count line, then "epoch startOffset" lines.
     *
     * @throws IllegalArgumentException if the text is not that
     */
    static List<EpochEntry> parseCheckpoint(byte[] bytes) {
        String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n");
        if (lines.length < 2 || !lines[0].trim().equals("0")) {
            throw new IllegalArgumentException("Not a leader-epoch checkpoint (version 0)");
        }
        int count = Integer.parseInt(lines[1].trim());
        if (count < 0 || lines.length < 2 + count) {
            throw new IllegalArgumentException("Leader-epoch checkpoint with " + count + " entries is truncated");
        }
        List<EpochEntry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String[] fields = lines[2 + i].trim().split("\\s+");
            if (fields.length != 2) {
                throw new IllegalArgumentException("Bad leader-epoch checkpoint line: " + lines[2 + i]);
            }
            entries.add(new EpochEntry(Integer.parseInt(fields[0]), Long.parseLong(fields[1])));
        }
        return entries;
    }
}
