package dev.strata.broker.metadata.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * When the voter's controller runs, as Ratis tells its state machine: from the moment its leadership is ready until
 * it stops leading, whether Ratis names a new leader then or not.
 */
class ControllerLeadershipTest {
    private static final RaftGroupMemberId MEMBER =
            RaftGroupMemberId.valueOf(RaftPeerId.valueOf("1"), RaftGroupId.randomId());

    private final MetadataStateMachine stateMachine = new MetadataStateMachine(1);
    private final QuorumController controller = new QuorumController(
            1,
            stateMachine::image,
            command -> CompletableFuture.completedFuture(0L),
            Duration.ofSeconds(4),
            false,
            System::nanoTime);

    @AfterEach
    void close() {
        controller.close();
    }

    private void lead() {
        stateMachine.attachController(controller);
        stateMachine.notifyLeaderChanged(MEMBER, RaftPeerId.valueOf("1"));
        stateMachine.notifyLeaderReady();
        Await.until(Duration.ofSeconds(10), "the controller active", controller::isActive);
    }

    /**
     * A leader that steps down on seeing a newer term (it was paused past its leadership, say) hears of no new leader
     * from Ratis until one reaches it; its controller must stop at once, not answer its broker's heartbeats meanwhile.
     */
    @Test
    void aVoterThatStopsLeadingStopsItsControllerBeforeItHearsOfANewLeader() throws Exception {
        lead();

        stateMachine.notifyNotLeader(List.of());

        assertThat(controller.isActive()).isFalse();
        assertThat(stateMachine.leaderId()).isEqualTo(-1);
    }

    @Test
    void aNewLeaderElsewhereStopsTheController() {
        lead();

        stateMachine.notifyLeaderChanged(MEMBER, RaftPeerId.valueOf("2"));

        assertThat(controller.isActive()).isFalse();
        assertThat(stateMachine.leaderId()).isEqualTo(2);
    }

    /** Leading again after stepping down, the controller waits for the new term to be ready, as at a first election. */
    @Test
    void aVoterElectedAgainAfterSteppingDownRunsItsControllerOnlyOnceItsLeadershipIsReady() throws Exception {
        lead();
        stateMachine.notifyNotLeader(List.of());

        stateMachine.notifyLeaderChanged(MEMBER, RaftPeerId.valueOf("1"));
        Thread.sleep(200); // an activation would run on the controller's thread within this
        assertThat(controller.isActive()).isFalse();

        stateMachine.notifyLeaderReady();
        Await.until(Duration.ofSeconds(10), "the controller active again", controller::isActive);
    }
}
