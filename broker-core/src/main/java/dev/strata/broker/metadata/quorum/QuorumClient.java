package dev.strata.broker.metadata.quorum;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's way into the metadata quorum through a Ratis client: it commits commands and waits until the local
 * {@link MetadataStateMachine} has applied them (so a caller reads its own writes), sends brokers' heartbeats to the
 * leading voter, catches up with the group at start, and turns a quorum that does not answer within
 * {@link QuorumConfig#writeTimeout()} into a Kafka {@link TimeoutException}.
 *
 * <p>On a broker without a vote nothing applies the log here: the client also keeps the local image by asking the
 * leading voter for it ({@link MetadataStateMachine#IMAGE}) on the thread {@code strata-metadata-reader-<node id>},
 * every {@link QuorumMetadataStore#IMAGE_POLL_MS} ms once {@link #startReadingImages} was called, and at once when a
 * write of its own waits to be seen.
 *
 * <p>Threads: {@link #write} and {@link #heartbeat} block the caller (never a Netty event loop: the store's callers
 * hand them to the I/O pool or the store's write pool); Ratis's client is thread-safe.
 */
final class QuorumClient implements AutoCloseable {
    /** How long a write whose voter no longer leads waits before it asks the next one. */
    private static final long RETRY_MS = 100;
    /** The store's logger: what operators configure for the metadata quorum. */
    private static final Logger log = LoggerFactory.getLogger(QuorumMetadataStore.class);

    private final QuorumConfig config;
    private final MetadataStateMachine stateMachine;
    private final RaftClient client;
    /** Sends the broker's heartbeats, one short attempt each ({@link RatisSetup#newHeartbeatClient}). */
    private final RaftClient heartbeats;
    /**
     * Runs each heartbeat and each write, so that its caller waits no longer than the heartbeat timeout or the write
     * timeout whatever the transport does: with Ratis's Netty transport, a failed attempt to a voter that had died
     * closed the connection to it on the sending thread, and that close took its full 5 s, long enough for a new
     * controller to fence a live broker whose heartbeats all waited behind it; and a write without a majority went on
     * retrying well past the write timeout (about 55 s of a 5 s timeout in {@code FiveVotersTest}). An attempt the
     * caller gave up on finishes on its own thread; a write's outcome is then unknown, as with Kafka's timeouts.
     */
    private final ExecutorService attempts;
    /** The client id and call ids of {@link #writeAsLeader}'s requests, unique for the server's retry cache. */
    private final ClientId controllerClientId = ClientId.randomId();

    private final AtomicLong controllerCallIds = new AtomicLong();
    /** The client id and call ids of {@link #write}'s requests to this voter's own server. */
    private final ClientId localClientId = ClientId.randomId();

    private final AtomicLong localCallIds = new AtomicLong();
    /** This voter's Raft server; null on a broker without a vote. */
    private final RaftServer server;

    private final RaftGroupId groupId;
    /** Asks the voters for newer images, on a broker without a vote; else null. */
    private final ScheduledExecutorService imageReader;

    QuorumClient(
            QuorumConfig config,
            MetadataStateMachine stateMachine,
            RaftServer server,
            RaftClient client,
            RaftClient heartbeats) {
        this.config = config;
        this.server = server;
        this.groupId = RatisSetup.groupId(config.clusterId());
        this.stateMachine = stateMachine;
        this.client = client;
        this.heartbeats = heartbeats;
        this.attempts = Executors.newCachedThreadPool(
                new DefaultThreadFactory("strata-quorum-attempt-" + config.nodeId(), true));
        this.imageReader = config.roles().isVoter()
                ? null
                : Executors.newSingleThreadScheduledExecutor(
                        new DefaultThreadFactory("strata-metadata-reader-" + config.nodeId(), true));
    }

    /** On a broker without a vote: reads the image now, catches up, then keeps reading it in the background. */
    void startReadingImages() {
        readImage();
        catchUp();
        imageReader.scheduleWithFixedDelay(
                this::readImageQuietly,
                QuorumMetadataStore.IMAGE_POLL_MS,
                QuorumMetadataStore.IMAGE_POLL_MS,
                TimeUnit.MILLISECONDS);
    }

    /** Asks the leading voter for its image, and takes it if it is newer than this broker's. */
    private void readImage() {
        RaftClientReply reply;
        try {
            reply = client.io().sendReadOnly(MetadataStateMachine.imageQuery(stateMachine.appliedIndex()));
        } catch (IOException e) {
            throw failure("read the metadata from", e);
        }
        if (!reply.isSuccess()) {
            throw failure("read the metadata from", reply.getException());
        }
        try {
            stateMachine.install(reply.getMessage());
        } catch (IOException e) {
            throw new KafkaStorageException("Cannot read the metadata image the quorum sent", e);
        }
    }

    private void readImageQuietly() {
        try {
            readImage();
        } catch (RuntimeException e) {
            log.warn("Broker {} cannot read the metadata from the quorum: {}", config.nodeId(), e.toString());
        }
    }

    /**
     * Catches up with the group, waiting as long as it takes a majority of the voters to come up and elect a leader, as
     * a KRaft node waits for its quorum: voters are started one by one, and the first must not give up before the
     * others come. It says so at the start and again after each write timeout, so an operator who started too few
     * voters (or listed a wrong address) sees why the node does not serve yet.
     */
    void awaitQuorum() {
        if (config.singleVoter()) {
            catchUp();
            return;
        }
        log.info(
                "Waiting for a leader of the metadata quorum {}: this node is voter {}; a majority of the voters"
                        + " ({} of {}) must be up and reach each other",
                config.voters(),
                config.nodeId(),
                config.voters().size() / 2 + 1,
                config.voters().size());
        long start = System.nanoTime();
        while (true) {
            try {
                catchUp();
                log.info(
                        "Joined the metadata quorum {} after {} ms",
                        config.voters(),
                        (System.nanoTime() - start) / 1_000_000);
                return;
            } catch (TimeoutException e) {
                if (Thread.currentThread().isInterrupted()) {
                    throw e;
                }
                log.warn(
                        "Still no leader of the metadata quorum {} after {} s: waiting for a majority of the voters"
                                + " ({} of {}) to start ({})",
                        config.voters(),
                        (System.nanoTime() - start) / 1_000_000_000,
                        config.voters().size() / 2 + 1,
                        config.voters().size(),
                        e.getMessage());
            }
        }
    }

    /**
     * Asks the leader how far it has applied (every write acknowledged so far is at or below that index) and waits
     * until this voter has applied as much.
     */
    private void catchUp() {
        long start = System.nanoTime();
        long leaderApplied;
        try {
            RaftClientReply reply = client.io().sendReadOnly(Message.EMPTY);
            if (!reply.isSuccess()) {
                throw failure("catch up with", reply.getException());
            }
            leaderApplied = MetadataStateMachine.answer(reply.getMessage());
        } catch (IOException e) {
            throw failure("catch up with", e);
        }
        awaitApplied(leaderApplied, start, "the leader's applied index");
    }

    /**
     * A broker's heartbeat, sent once to {@code leader}, the voter this node knows to lead (-1: the one the client last
     * found leading), as a Kafka broker sends its heartbeats to the controller its KRaft client knows: after a leader
     * change the next heartbeat goes to the new leader at once, instead of the client's retries finding it one
     * request timeout at a time (see {@link QuorumController}).
     *
     * @throws TimeoutException if that voter does not answer within {@link RatisSetup#heartbeatTimeoutMs}, or answers
     *     that it does not lead
     */
    QuorumController.HeartbeatReply heartbeat(int nodeId, Uuid incarnationId, int leader) {
        Message heartbeat = MetadataStateMachine.heartbeat(nodeId, incarnationId);
        Future<RaftClientReply> attempt = attempts.submit(
                () -> heartbeats.io().sendReadOnly(heartbeat, leader < 0 ? null : RatisSetup.peerId(leader)));
        RaftClientReply reply;
        try {
            // a little over Ratis's own timeout, which answers first unless the attempt is stuck after it
            reply = attempt.get(RatisSetup.heartbeatTimeoutMs(config) + 100, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw heartbeatFailure(leader, e.getCause() instanceof Exception cause ? cause : e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw heartbeatFailure(leader, e); // the attempt finishes on its own thread
        } catch (InterruptedException e) {
            attempt.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        }
        if (!reply.isSuccess()) {
            throw heartbeatFailure(leader, reply.getException());
        }
        byte code = reply.getMessage().getContent().byteAt(0);
        return QuorumController.HeartbeatReply.values()[code];
    }

    /**
     * Commits a command, waits until this voter has applied it, and returns its answer. While this voter leads, the
     * command goes straight to its own Raft server ({@link #sendFromHere}) instead of through the client's gRPC
     * connection to itself.
     */
    long write(MetadataCommand command) {
        if (server != null && leadsHere()) {
            return writeFromHere(command);
        }
        Message message = Message.valueOf(ByteString.copyFrom(command.toBytes()));
        return commit(command, () -> client.io().send(message));
    }

    /** {@link #write} through this voter's own server, whether it leads or not (tests: from a follower). */
    long writeFromHere(MetadataCommand command) {
        Message message = Message.valueOf(ByteString.copyFrom(command.toBytes()));
        RaftClientRequest request = request(localClientId, localCallIds, server.getId(), message);
        return commit(command, () -> sendFromHere(request));
    }

    /** How many writes went to this voter's own server (tests). */
    long writesFromHere() {
        return localCallIds.get();
    }

    private boolean leadsHere() {
        try {
            return server.getDivision(groupId).getInfo().isLeader();
        } catch (IOException e) {
            return false; // not started or closing: the client finds the leader
        }
    }

    /**
     * Submits {@code request} to this voter's own server, and when that server does not lead (any more, or not yet),
     * sends the same call (same client id and call id) to the voter that leads, every {@link #RETRY_MS} ms until it
     * is answered or the write timeout has passed. The server may have logged the command before it stepped down, and
     * the next leader may commit that entry: the same call finds it in that leader's retry cache and gets its first
     * outcome, where a new call would apply the command twice. This is what the Ratis client does with its own calls.
     */
    private RaftClientReply sendFromHere(RaftClientRequest request) throws Exception {
        long deadline = System.nanoTime() + config.writeTimeout().toNanos();
        RaftClientReply reply = server.submitClientRequestAsync(request).get();
        RaftPeerId target = null;
        boolean unreachable = false;
        while (leaderMoved(reply) && System.nanoTime() < deadline) {
            target = nextTarget(unreachable ? null : reply, target);
            unreachable = false;
            TimeUnit.MILLISECONDS.sleep(RETRY_MS);
            RaftClientRequest resent = RaftClientRequest.newBuilder()
                    .set(request)
                    .setServerId(target)
                    .build();
            try {
                reply = target.equals(server.getId())
                        ? server.submitClientRequestAsync(resent).get()
                        : client.getClientRpc().sendRequest(resent);
            } catch (IOException e) {
                if (e instanceof InterruptedIOException) {
                    throw e;
                }
                unreachable = true; // that voter is down or cut off: the next one is asked
            }
        }
        return reply;
    }

    private static boolean leaderMoved(RaftClientReply reply) {
        return reply.getNotLeaderException() != null
                || reply.getLeaderNotReadyException() != null
                || reply.getLeaderSteppingDownException() != null;
    }

    /**
     * The leader {@code reply} suggests, else the voter after {@code previous} (the first one after none);
     * {@code reply} is null when {@code previous} did not answer.
     */
    private RaftPeerId nextTarget(RaftClientReply reply, RaftPeerId previous) {
        NotLeaderException notLeader = reply == null ? null : reply.getNotLeaderException();
        if (notLeader != null && notLeader.getSuggestedLeader() != null) {
            return notLeader.getSuggestedLeader().getId();
        }
        if (reply != null && reply.getLeaderNotReadyException() != null && previous == null) {
            return reply.getServerId(); // it leads and will be ready in a moment
        }
        List<QuorumConfig.Voter> voters = config.voters();
        int at = 0;
        for (int i = 0; i < voters.size(); i++) {
            if (RatisSetup.peerId(voters.get(i).id()).equals(previous)) {
                at = i + 1;
            }
        }
        return RatisSetup.peerId(voters.get(at % voters.size()).id());
    }

    /**
     * Commits a decision of this voter's controller through this voter's own Raft server, never through another
     * voter: a server that does not lead refuses it ({@code NotLeaderException}), and one that has been deposed without
     * knowing it logs it in its old term, where it is never committed. Through the client, which follows the quorum's
     * leader, a controller paused past its leadership (a long GC pause, SIGSTOP) would on waking have the new leader
     * commit what it decided on its stale view: it fenced every broker whose heartbeats it had not seen while paused.
     * Kafka's controller, likewise, appends only to its own log and only while it leads.
     */
    long writeAsLeader(MetadataCommand command) {
        RaftClientRequest request = request(
                controllerClientId,
                controllerCallIds,
                server.getId(),
                Message.valueOf(ByteString.copyFrom(command.toBytes())));
        return commit(command, () -> server.submitClientRequestAsync(request).get());
    }

    private RaftClientRequest request(ClientId clientId, AtomicLong callIds, RaftPeerId serverId, Message message) {
        return RaftClientRequest.newBuilder()
                .setClientId(clientId)
                .setServerId(serverId)
                .setGroupId(groupId)
                .setCallId(callIds.incrementAndGet())
                .setMessage(message)
                .setType(RaftClientRequest.writeRequestType())
                .build();
    }

    private long commit(MetadataCommand command, Callable<RaftClientReply> send) {
        long start = System.nanoTime();
        Future<RaftClientReply> sent = attempts.submit(send);
        RaftClientReply reply;
        try {
            reply = sent.get(config.writeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw failure("commit " + command + " to", e.getCause() instanceof Exception cause ? cause : e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw failure("commit " + command + " to", e);
        } catch (InterruptedException e) {
            sent.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        }
        if (!reply.isSuccess()) {
            throw failure("commit " + command + " to", reply.getException());
        }
        awaitApplied(reply.getLogIndex(), start, command.toString());
        long answer = MetadataStateMachine.answer(reply.getMessage());
        if (answer < 0) {
            Errors error = Errors.forCode((short) -answer);
            throw error.exception("The metadata quorum refused " + command + ": " + error.message());
        }
        return answer;
    }

    private void awaitApplied(long index, long startNanos, String what) {
        long leftMs = config.writeTimeout().toMillis() - (System.nanoTime() - startNanos) / 1_000_000;
        if (imageReader != null && stateMachine.appliedIndex() < index) {
            try {
                imageReader.execute(this::readImageQuietly);
            } catch (RejectedExecutionException e) {
                // closing
            }
        }
        try {
            if (!stateMachine.awaitApplied(index, Math.max(leftMs, 0))) {
                throw new TimeoutException("Metadata quorum node " + config.nodeId() + " had not applied its log up to"
                        + " index " + index + " (" + what + ") within "
                        + config.writeTimeout().toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        }
    }

    private RuntimeException heartbeatFailure(int leader, Exception e) {
        if (e instanceof InterruptedIOException) {
            Thread.currentThread().interrupt();
        }
        return new TimeoutException(
                "No answer to the heartbeat from " + (leader < 0 ? "the metadata quorum" : "voter " + leader)
                        + " within " + RatisSetup.heartbeatTimeoutMs(config) + " ms (" + e + ")",
                e);
    }

    private RuntimeException failure(String what, Exception e) {
        if (e instanceof StateMachineException) {
            return new IllegalArgumentException("The metadata quorum refused to " + what + ": " + e.getMessage(), e);
        }
        if (e instanceof InterruptedIOException) {
            Thread.currentThread().interrupt();
        }
        return new TimeoutException(
                "Could not " + what + " the metadata quorum " + config.voters() + " within "
                        + config.writeTimeout().toMillis() + " ms: no leader with a majority of voters answered (" + e
                        + ")",
                e);
    }

    @Override
    public void close() throws IOException {
        if (imageReader != null) {
            imageReader.shutdownNow();
        }
        attempts.shutdownNow();
        try {
            heartbeats.close();
        } finally {
            client.close();
        }
    }
}
