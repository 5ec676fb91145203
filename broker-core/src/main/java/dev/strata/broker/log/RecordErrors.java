package dev.strata.broker.log;

import java.util.List;

/**
 * A validation failure that names the records of one batch it was refused for (KIP-467): the Produce response carries
 * them as {@code record_errors}, and the producer fails those records with their message and the rest of the batch
 * with a generic error. Implemented by the {@link org.apache.kafka.common.errors.ApiException}s {@link LogValidator}
 * throws for invalid keys and timestamps, so that their error code stays that of the exception's class.
 */
public interface RecordErrors {

    /** The refused records, in batch order. */
    List<RecordError> recordErrors();

    /**
     * One refused record.
     *
     * @param batchIndex the record's index in its batch, from 0
     * @param message why it was refused
     */
    record RecordError(int batchIndex, String message) {
        @Override
        public String toString() {
            return "record " + batchIndex + ": " + message;
        }
    }
}
