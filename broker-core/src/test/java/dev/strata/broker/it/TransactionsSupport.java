package dev.strata.broker.it;

/**
 * Whether Strata runs the exactly-once tests yet ({@link StreamsExactlyOnceIT}, {@link LibrdkafkaTransactionsIT},
 * {@link TransactionalPipelineIT}). Those tests run against Strata by default and against Apache Kafka 4.3.1 with
 * {@code -Dstrata.it.target=kafka} ({@link TransactionalBroker}), which is how they were validated.
 */
final class TransactionsSupport {

    /**
     * Whether Strata has a transaction coordinator (issue #10: InitProducerId with a transactional id, AddPartitionsToTxn,
     * AddOffsetsToTxn, TxnOffsetCommit, EndTxn). While it is {@code false} the tests skip themselves against Strata; set
     * it to {@code true} when the coordinator is merged. It is the only switch.
     */
    static final boolean AVAILABLE = true;

    private TransactionsSupport() {}
}
