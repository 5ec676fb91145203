package dev.strata.broker.api;

import dev.strata.broker.metadata.MetadataStore;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.InitProducerIdRequest;

/**
 * InitProducerId for idempotent producers: a fresh producer id with epoch 0 for every call, handed out from blocks
 * reserved durably in the metadata store so that no id is ever given twice, even across restarts.
 */
public final class ProducerIdHandler {
    private static final int BLOCK = 1000;

    private final MetadataStore store;
    private long next;
    private long blockEnd;

    public ProducerIdHandler(MetadataStore store) {
        this.store = store;
    }

    public InitProducerIdResponseData handle(InitProducerIdRequest request) {
        if (request.data().transactionalId() != null) {
            return new InitProducerIdResponseData()
                    .setErrorCode(Errors.INVALID_REQUEST.code())
                    .setProducerId(-1)
                    .setProducerEpoch((short) -1);
        }
        return new InitProducerIdResponseData().setProducerId(nextProducerId()).setProducerEpoch((short) 0);
    }

    private synchronized long nextProducerId() {
        if (next >= blockEnd) {
            next = store.reserveProducerIds(BLOCK);
            blockEnd = next + BLOCK;
        }
        return next++;
    }
}
