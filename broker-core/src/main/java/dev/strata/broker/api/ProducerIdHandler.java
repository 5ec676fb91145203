package dev.strata.broker.api;

import dev.strata.broker.metadata.MetadataStore;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.requests.InitProducerIdRequest;

/**
 * InitProducerId for idempotent producers: a fresh producer id with epoch 0 for every call, handed out from blocks
 * reserved durably in the metadata store so that no id is ever given twice, even across restarts. The transaction
 * coordinator takes its producer ids from here too ({@link #nextProducerId}); InitProducerId with a transactional id
 * is answered by {@link TransactionHandler}.
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
        return new InitProducerIdResponseData().setProducerId(nextProducerId()).setProducerEpoch((short) 0);
    }

    /** A producer id never handed out before. */
    public synchronized long nextProducerId() {
        if (next >= blockEnd) {
            next = store.reserveProducerIds(BLOCK);
            blockEnd = next + BLOCK;
        }
        return next++;
    }
}
