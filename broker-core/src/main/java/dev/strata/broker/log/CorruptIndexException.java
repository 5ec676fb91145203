package dev.strata.broker.log;

import org.apache.kafka.common.KafkaException;

/** An offset or time index whose entries contradict each other or the segment they index; it is rebuilt. */
public class CorruptIndexException extends KafkaException {

    public CorruptIndexException(String message) {
        super(message);
    }
}
