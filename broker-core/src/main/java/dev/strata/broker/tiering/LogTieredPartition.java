package dev.strata.broker.tiering;

import dev.strata.broker.config.LogConfig;
import dev.strata.broker.log.EpochEntry;
import dev.strata.broker.log.LocalLog;
import dev.strata.broker.log.LogSegment;
import dev.strata.broker.partition.Partition;
import dev.strata.tiering.LocalSegment;
import dev.strata.tiering.TieredPartition;
import dev.strata.tiering.TieringConfig;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A partition's {@link LocalLog} as the remote log manager sees it: its sealed segments (all but the active one), each
 * with the producer snapshot taken when it was rolled (named after the next segment's base offset) and the leader-epoch
 * checkpoint up to its end; its tiering settings; and the callbacks that move the log's highest remote offset and log
 * start offset.
 *
 * <p>A sealed segment whose producer snapshot is missing (a log written by a version that did not snapshot at every
 * roll, recovered after a crash, or whose snapshot file was removed) gets it rebuilt from the log before it is offered
 * ({@link LocalLog#producerSnapshotAt}), since KIP-405 uploads every segment with its snapshot. If that fails, the list
 * stops there and the next run tries again; nothing is uploaded without its snapshot.
 */
public final class LogTieredPartition implements TieredPartition {
    private static final Logger LOG = LoggerFactory.getLogger(LogTieredPartition.class);

    private final Partition partition;
    private final TopicIdPartition tip;

    public LogTieredPartition(Partition partition) {
        this.partition = partition;
        this.tip = new TopicIdPartition(partition.topicId(), partition.topicPartition());
    }

    @Override
    public TopicIdPartition topicIdPartition() {
        return tip;
    }

    @Override
    public List<LocalSegment> sealedSegments() {
        LocalLog log = partition.log();
        List<LogSegment> all = log.segments();
        List<EpochEntry> epochs = log.leaderEpochCache().entries();
        List<LocalSegment> sealed = new ArrayList<>();
        for (int i = 0; i + 1 < all.size(); i++) {
            LogSegment segment = all.get(i);
            long nextBase = all.get(i + 1).baseOffset();
            if (segment.size() == 0 || nextBase <= segment.baseOffset()) {
                continue;
            }
            Path snapshot;
            try {
                snapshot = log.producerSnapshotAt(nextBase);
            } catch (UncheckedIOException | KafkaException e) {
                LOG.warn(
                        "Cannot write the missing producer snapshot at offset {} of {}; its segment is copied later",
                        nextBase,
                        tip,
                        e);
                break;
            }
            long endOffset = nextBase - 1;
            sealed.add(new LocalSegment(
                    segment.baseOffset(),
                    endOffset,
                    Math.max(segment.largestTimestamp(), -1L),
                    segment.size(),
                    segment.log().file().toPath(),
                    segment.offsetIndex().file(),
                    segment.timeIndex().file(),
                    txnIndexFile(segment),
                    snapshot,
                    checkpoint(epochs, endOffset),
                    segmentEpochs(epochs, segment.baseOffset(), endOffset)));
        }
        return sealed;
    }

    /** The segment's {@code .txnindex}, which exists only once a transaction was aborted in the segment. */
    private static Optional<Path> txnIndexFile(LogSegment segment) {
        Path file = segment.txnIndex().file();
        return Files.exists(file) ? Optional.of(file) : Optional.empty();
    }

    /** Kafka's leader-epoch checkpoint file (version 0, count, then "epoch startOffset" lines) up to {@code end}. */
    static ByteBuffer checkpoint(List<EpochEntry> epochs, long end) {
        List<EpochEntry> upTo =
                epochs.stream().filter(e -> e.startOffset() <= end).toList();
        StringBuilder text = new StringBuilder("0\n").append(upTo.size()).append('\n');
        for (EpochEntry entry : upTo) {
            text.append(entry.epoch()).append(' ').append(entry.startOffset()).append('\n');
        }
        return ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The epochs that wrote offsets in {@code [base, end]}, each with its first offset within the segment. */
    static TreeMap<Integer, Long> segmentEpochs(List<EpochEntry> epochs, long base, long end) {
        TreeMap<Integer, Long> inSegment = new TreeMap<>();
        for (int i = 0; i < epochs.size(); i++) {
            EpochEntry entry = epochs.get(i);
            long nextStart = i + 1 < epochs.size() ? epochs.get(i + 1).startOffset() : Long.MAX_VALUE;
            if (entry.startOffset() <= end && nextStart > base) {
                inSegment.put(entry.epoch(), Math.max(entry.startOffset(), base));
            }
        }
        if (inSegment.isEmpty()) {
            // data written without an epoch (not expected): attribute it to epoch 0
            inSegment.put(0, base);
        }
        return inSegment;
    }

    @Override
    public long highWatermark() {
        return partition.log().lastStableOffset();
    }

    @Override
    public int leaderEpoch() {
        return partition.leaderEpoch();
    }

    @Override
    public TieringConfig config() {
        LogConfig config = partition.log().config();
        return new TieringConfig(
                config.remoteStorageEnable(),
                config.retentionMs(),
                config.retentionBytes(),
                Math.max(TieringConfig.FOLLOW_RETENTION, config.localRetentionMs()),
                Math.max(TieringConfig.FOLLOW_RETENTION, config.localRetentionBytes()),
                config.remoteLogCopyDisable(),
                config.remoteLogDeleteOnDisable());
    }

    @Override
    public long logStartOffset() {
        return partition.log().logStartOffset();
    }

    @Override
    public long highestRemoteOffset() {
        return partition.log().highestRemoteOffset();
    }

    @Override
    public void onHighestRemoteOffset(long offset) {
        partition.log().onHighestRemoteOffset(offset);
    }

    @Override
    public void onRemoteLogStartOffset(long offset) {
        partition.log().onRemoteLogStartOffset(offset);
    }
}
