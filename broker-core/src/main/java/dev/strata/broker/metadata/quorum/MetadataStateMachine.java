package dev.strata.broker.metadata.quorum;

import dev.strata.broker.cluster.ClusterChangeListener;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Uuid;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.JavaUtils;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;

/**
 * The replicated metadata: every voter applies the same {@link MetadataCommand}s in log order to its own
 * {@link MetadataImage}. The leader validates a command before it enters the log ({@link #startTransaction}), every
 * voter applies it once committed ({@link #applyTransaction}), and reads are answered from the local image
 * ({@link #image()}), which may trail the leader by the entries this voter has not applied yet.
 *
 * <p>Ratis asks for a snapshot every so many entries; the whole image goes to one file in the
 * {@link SimpleStateMachineStorage} directory ({@code snapshot.<term>_<index>} plus its {@code .md5}), after which
 * Ratis purges the log up to that index. A restart loads the newest snapshot and replays only the entries after it; a
 * voter too far behind for the leader's log receives the leader's snapshot file and {@link #reinitialize()}s from it.
 *
 * <p>What each entry changed goes to the {@link ClusterChangeNotifier}, which tells the listeners on its own thread.
 * Ratis tells every voter who leads ({@link #notifyLeaderChanged}); the voter that leads runs the
 * {@link QuorumController} from the moment Ratis says it is ready ({@link #notifyLeaderReady}: the first entry of its
 * term is committed), since before that it cannot answer brokers' heartbeats, which reach it as read-only queries
 * ({@link #query}): a controller started at the leader change would count the time its election takes to commit
 * against every broker's session, and fence brokers that were only waiting for it. A broker without a
 * vote has an instance of its own that no Ratis server runs: it {@link #install}s the images the leader sends it.
 *
 * <p>Threads: Ratis applies entries and takes snapshots on one thread; {@link #awaitApplied} waits on this object's
 * monitor, which every applied entry notifies. Applying an entry and registering a listener hold that monitor, so a
 * listener's first view of the image is exactly the point in the log where its changes start.
 */
public final class MetadataStateMachine extends BaseStateMachine {
    /** First byte of a query that is a broker's heartbeat: int node id, uuid incarnation id follow. */
    static final byte HEARTBEAT = 1;
    /**
     * First byte of a query from a broker without a vote for the image: long the applied index it has. The answer is
     * long this voter's applied index, int this voter's node id (it leads), then the whole image in the snapshot
     * encoding when the applied index is past the asker's.
     */
    static final byte IMAGE = 2;

    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final int nodeId;
    private final ClusterChangeNotifier notifier;
    private volatile MetadataImage image = new MetadataImage();
    /** The quorum leader (Kafka's active controller) as Ratis last told this voter, or -1. */
    private volatile int leaderId = -1;
    /** Set once this voter's client exists; guarded by {@code leadership}. */
    private QuorumController controller;
    /** Ratis said this voter's leadership is ready and no leader change came since; guarded by {@code leadership}. */
    private boolean leaderReady;

    private final Object leadership = new Object();

    MetadataStateMachine(int nodeId) {
        this.nodeId = nodeId;
        this.notifier = new ClusterChangeNotifier(nodeId);
    }

    /** The node id of the quorum's leader, or -1 while there is none. */
    int leaderId() {
        return leaderId;
    }

    /** Starts running the controller whenever this voter leads. */
    void attachController(QuorumController c) {
        synchronized (leadership) {
            controller = c;
            if (leaderId == nodeId && leaderReady) {
                c.activate();
            }
        }
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        synchronized (leadership) {
            leaderId = newLeaderId == null ? -1 : Integer.parseInt(newLeaderId.toString());
            if (leaderId != nodeId) {
                leaderReady = false;
            }
            if (controller != null) {
                if (leaderId != nodeId) {
                    controller.deactivate();
                } else if (leaderReady) {
                    controller.activate(); // Ratis said ready before it said who leads
                }
            }
        }
    }

    /** Called on the leader once the first entry of its term is committed: it can answer heartbeats now. */
    @Override
    public void notifyLeaderReady() {
        synchronized (leadership) {
            leaderReady = true;
            if (controller != null && leaderId == nodeId) {
                controller.activate();
            }
        }
    }

    /**
     * Called when this voter stops leading: it stepped down on seeing a newer term, or lost its majority. Ratis
     * announces no leader change then ({@link #notifyLeaderChanged} only names a new leader once one is known), and a
     * controller left running would answer this node's broker's heartbeats from an image that no longer advances and
     * decide on its stale view: a voter paused past its leadership (SIGSTOP, a long GC pause) woke up as such a
     * controller.
     */
    @Override
    public void notifyNotLeader(Collection<TransactionContext> pendingEntries) {
        synchronized (leadership) {
            leaderReady = false;
            if (leaderId == nodeId) {
                leaderId = -1;
            }
            if (controller != null) {
                controller.deactivate();
            }
        }
    }

    /** Tells {@code listener} the whole image, then every change after it, on the notifier's thread. */
    synchronized void addListener(ClusterChangeListener listener) {
        notifier.register(listener, image.asChanges());
    }

    ClusterChangeNotifier notifier() {
        return notifier;
    }

    /** The image after the last entry applied here. */
    public MetadataImage image() {
        return image;
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        getLifeCycle()
                .startAndTransition(
                        () -> {
                            storage.init(raftStorage);
                            load(storage.getLatestSnapshot());
                        },
                        IOException.class);
    }

    /** Ratis pauses the state machine before it installs a snapshot from the leader in its directory. */
    @Override
    public void pause() {
        getLifeCycle().transition(LifeCycle.State.PAUSING);
        getLifeCycle().transition(LifeCycle.State.PAUSED);
    }

    /** After a snapshot was installed from the leader: start over from the newest snapshot file. */
    @Override
    public void reinitialize() throws IOException {
        getLifeCycle().transition(LifeCycle.State.STARTING);
        load(storage.loadLatestSnapshot());
        getLifeCycle().transition(LifeCycle.State.RUNNING);
    }

    @Override
    public SimpleStateMachineStorage getStateMachineStorage() {
        return storage;
    }

    /** Refuses, before it is logged, a command that is malformed or could not be applied. */
    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        MetadataCommand command =
                MetadataCommand.fromBytes(request.getMessage().getContent().toByteArray());
        try {
            command.validate();
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
        return super.startTransaction(request);
    }

    /** Applies a committed command and answers the writer with the command's 8-byte result. */
    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        MetadataCommand command;
        try {
            command = MetadataCommand.fromBytes(
                    entry.getStateMachineLogEntry().getLogData().toByteArray());
        } catch (IOException e) {
            // The leader decoded it before logging it: only a voter older than the log's writer gets here.
            return JavaUtils.completeExceptionally(
                    new IllegalStateException("Cannot read metadata log entry " + TermIndex.valueOf(entry), e));
        }
        long answer;
        synchronized (this) {
            answer = command.applyTo(image);
            notifier.publish(image.drainChanges());
            updateLastAppliedTermIndex(TermIndex.valueOf(entry));
            notifyAll();
        }
        return CompletableFuture.completedFuture(
                Message.valueOf(ByteBuffer.allocate(Long.BYTES).putLong(0, answer)));
    }

    /**
     * Answers a read, which Ratis runs on the leader only. An empty one asks for this voter's applied index, which
     * covers every write acknowledged so far: {@link QuorumMetadataStore} waits until its own voter has applied as much
     * before its first read (the data itself is read from {@link #image()}). A {@link #HEARTBEAT} goes to the
     * controller and is answered with a {@link QuorumController.HeartbeatReply} byte.
     */
    @Override
    public CompletableFuture<Message> query(Message request) {
        ByteBuffer content = request.getContent().asReadOnlyByteBuffer();
        if (content.remaining() == 0) {
            return CompletableFuture.completedFuture(
                    Message.valueOf(ByteBuffer.allocate(Long.BYTES).putLong(0, appliedIndex())));
        }
        byte type = content.get();
        if (type == IMAGE && content.remaining() == Long.BYTES) {
            return CompletableFuture.completedFuture(imageAfter(content.getLong()));
        }
        if (type != HEARTBEAT || content.remaining() != Integer.BYTES + 2 * Long.BYTES) {
            return JavaUtils.completeExceptionally(new IOException("Unknown metadata query"));
        }
        int broker = content.getInt();
        Uuid incarnation = new Uuid(content.getLong(), content.getLong());
        QuorumController c;
        synchronized (leadership) {
            c = controller;
        }
        QuorumController.HeartbeatReply reply =
                c == null ? QuorumController.HeartbeatReply.NOT_CONTROLLER : c.heartbeat(broker, incarnation);
        return CompletableFuture.completedFuture(
                Message.valueOf(ByteString.copyFrom(new byte[] {(byte) reply.ordinal()})));
    }

    /** The bytes of a heartbeat query. */
    static Message heartbeat(int nodeId, Uuid incarnationId) {
        ByteBuffer b = ByteBuffer.allocate(1 + Integer.BYTES + 2 * Long.BYTES);
        b.put(HEARTBEAT).putInt(nodeId).putLong(incarnationId.getMostSignificantBits());
        b.putLong(incarnationId.getLeastSignificantBits());
        return Message.valueOf(ByteString.copyFrom(b.array()));
    }

    /** The bytes of an image query from a broker that has applied up to {@code knownIndex}. */
    static Message imageQuery(long knownIndex) {
        return Message.valueOf(ByteString.copyFrom(ByteBuffer.allocate(1 + Long.BYTES)
                .put(IMAGE)
                .putLong(knownIndex)
                .array()));
    }

    /** Under the monitor, so that the image is exactly the one at the applied index it is sent with. */
    private synchronized Message imageAfter(long knownIndex) {
        long applied = appliedIndex();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(applied);
            out.writeInt(nodeId);
            if (applied > knownIndex) {
                image.writeTo(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array stream does not fail
        }
        return Message.valueOf(ByteString.copyFrom(bytes.toByteArray()));
    }

    /**
     * On a broker without a vote: takes the image a voter sent ({@link #imageQuery}) if it is newer than the one here,
     * and tells the listeners what changed.
     *
     * @return whether it was newer
     */
    synchronized boolean install(Message answer) throws IOException {
        DataInputStream in = new DataInputStream(answer.getContent().newInput());
        long index = in.readLong();
        leaderId = in.readInt();
        if (index <= appliedIndex() || in.available() == 0) {
            return false;
        }
        MetadataImage before = image;
        image = MetadataImage.readFrom(in);
        notifier.publish(image.changesSince(before));
        setLastAppliedTermIndex(TermIndex.valueOf(0, index));
        notifyAll();
        return true;
    }

    /** Entries without a command (leader no-ops, configuration changes) advance the applied index too. */
    @Override
    public synchronized void notifyTermIndexUpdated(long term, long index) {
        super.notifyTermIndexUpdated(term, index);
        notifyAll();
    }

    /** The result of an applied command, as {@link #applyTransaction} encoded it. */
    static long answer(Message reply) {
        return reply.getContent().asReadOnlyByteBuffer().getLong();
    }

    /**
     * Waits until this voter has applied the entry at {@code index}.
     *
     * @return false if it has not within the timeout
     */
    synchronized boolean awaitApplied(long index, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (appliedIndex() < index) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    long appliedIndex() {
        TermIndex applied = getLastAppliedTermIndex();
        return applied == null ? RaftLog.INVALID_LOG_INDEX : applied.getIndex();
    }

    /**
     * Writes the image to {@code snapshot.<term>_<index>} through a temporary file, so that a crash never leaves a
     * partial file under a snapshot's name, then records its MD5 beside it.
     */
    @Override
    public synchronized long takeSnapshot() throws IOException {
        TermIndex applied = getLastAppliedTermIndex();
        if (applied == null) {
            return RaftLog.INVALID_LOG_INDEX;
        }
        File file = storage.getSnapshotFile(applied.getTerm(), applied.getIndex());
        Path tmp = file.toPath().resolveSibling(file.getName() + ".tmp");
        try (FileChannel ch = FileChannel.open(
                        tmp,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(ch)))) {
            image.writeTo(out);
            out.flush();
            ch.force(true);
        }
        Files.move(tmp, file.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), applied));
        return applied.getIndex();
    }

    private synchronized void load(SingleFileSnapshotInfo snapshot) throws IOException {
        if (snapshot == null) {
            return;
        }
        Path path = snapshot.getFile().getPath();
        if (snapshot.getFile().getFileDigest() != null) {
            MD5FileUtil.verifySavedMD5(path.toFile(), snapshot.getFile().getFileDigest());
        }
        MetadataImage before = image;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(path)))) {
            image = MetadataImage.readFrom(in);
        }
        notifier.publish(image.changesSince(before));
        setLastAppliedTermIndex(snapshot.getTermIndex());
        notifyAll();
    }
}
