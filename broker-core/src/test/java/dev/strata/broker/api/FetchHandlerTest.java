package dev.strata.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.junit.jupiter.api.Test;

class FetchHandlerTest {

    @Test
    void remotePartitionsShareTheRemoteBudgetEquallyDownToAnEighthOfIt() {
        int budget = 8 << 20;
        assertThat(FetchHandler.remoteShare(budget, 1)).isEqualTo(budget);
        assertThat(FetchHandler.remoteShare(budget, 3)).isEqualTo(budget / 3);
        assertThat(FetchHandler.remoteShare(budget, 8)).isEqualTo(budget / 8);
        assertThat(FetchHandler.remoteShare(budget, 500))
                .as("hundreds of partitions: the first eight are read, not hundreds of slivers")
                .isEqualTo(budget / 8);
        assertThat(FetchHandler.remoteShare(5, 8)).as("never nothing").isEqualTo(1);
    }

    @Test
    void aRemoteBatchFailingItsChecksumIsCorruptMessageSoTheConsumerThrows() {
        assertThat(FetchHandler.remoteReadError(new CompletionException(new CorruptRecordException("bad CRC"))))
                .isEqualTo(Errors.CORRUPT_MESSAGE);
        assertThat(FetchHandler.remoteReadError(
                        new CompletionException(new CompletionException(new CorruptRecordException("bad CRC")))))
                .as("through nested stages")
                .isEqualTo(Errors.CORRUPT_MESSAGE);
    }

    @Test
    void dataTheBackendReportsCorruptIsCorruptMessage() {
        // what the chunk cache makes of a truncated object or one without its digest
        RemoteStorageException backend =
                new RemoteStorageException("no sha256 metadata", new CorruptRecordException("no sha256 metadata"));
        assertThat(FetchHandler.remoteReadError(
                        new CompletionException(new CorruptRecordException(backend.getMessage(), backend))))
                .isEqualTo(Errors.CORRUPT_MESSAGE);
    }

    @Test
    void aStoreThatFailsIsAnUnknownServerErrorSoTheConsumerRetries() {
        assertThat(FetchHandler.remoteReadError(
                        new CompletionException(new RemoteStorageException("Connection refused"))))
                .isEqualTo(Errors.UNKNOWN_SERVER_ERROR);
        assertThat(FetchHandler.remoteReadError(new CompletionException(new TimeoutException())))
                .as("a chunk that took too long to load")
                .isEqualTo(Errors.UNKNOWN_SERVER_ERROR);
    }

    @Test
    void anOffsetTheRemoteTierDoesNotHoldIsOutOfRange() {
        assertThat(FetchHandler.remoteReadError(new OffsetOutOfRangeException("gone")))
                .isEqualTo(Errors.OFFSET_OUT_OF_RANGE);
    }
}
