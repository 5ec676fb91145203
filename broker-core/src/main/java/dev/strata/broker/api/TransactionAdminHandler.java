package dev.strata.broker.api;

import dev.strata.broker.txn.TransactionCoordinator;
import dev.strata.broker.txn.TransactionLogRecords;
import dev.strata.broker.txn.TransactionState;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData.TopicData;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeTransactionsRequest;
import org.apache.kafka.common.requests.ListTransactionsRequest;
import org.apache.kafka.common.utils.Time;

/**
 * DescribeTransactions and ListTransactions (KIP-664, what {@code kafka-transactions.sh describe|list} and
 * {@code Admin#describeTransactions}/{@code #listTransactions} send): the transactional ids this broker coordinates,
 * as Kafka's coordinator shows them. ListTransactions filters by state names (unknown names are echoed back in
 * {@code unknownStateFilters}), producer ids, running time (v1: only transactions started longer ago than the
 * duration; an id with no transaction has start time -1, so Kafka's comparison lists it too) and a regular expression the whole id must match (v2, KIP-1152; a pattern that does not compile is
 * INVALID_REGULAR_EXPRESSION).
 */
public final class TransactionAdminHandler {
    private final TransactionCoordinator coordinator;
    private final Time time;

    public TransactionAdminHandler(TransactionCoordinator coordinator, Time time) {
        this.coordinator = coordinator;
        this.time = time;
    }

    public DescribeTransactionsResponseData describeTransactions(DescribeTransactionsRequest request) {
        DescribeTransactionsResponseData response = new DescribeTransactionsResponseData();
        for (String id : request.data().transactionalIds()) {
            DescribeTransactionsResponseData.TransactionState out =
                    new DescribeTransactionsResponseData.TransactionState().setTransactionalId(id);
            response.transactionStates().add(out);
            if (id == null || id.isEmpty()) {
                out.setErrorCode(Errors.INVALID_REQUEST.code());
                continue;
            }
            TransactionCoordinator.Described described = coordinator.describe(id);
            if (described.error() != Errors.NONE) {
                out.setErrorCode(described.error().code());
                continue;
            }
            TransactionLogRecords.Value v = described.state();
            for (TopicPartition tp : v.partitions()) {
                TopicData topic = out.topics().find(tp.topic());
                if (topic == null) {
                    topic = new TopicData().setTopic(tp.topic());
                    out.topics().add(topic);
                }
                topic.partitions().add(tp.partition());
            }
            out.setErrorCode(Errors.NONE.code())
                    .setProducerId(v.producerId())
                    .setProducerEpoch(v.producerEpoch())
                    .setTransactionState(v.state().kafkaName())
                    .setTransactionTimeoutMs(v.timeoutMs())
                    .setTransactionStartTimeMs(v.startTimestampMs());
        }
        return response;
    }

    public ListTransactionsResponseData listTransactions(ListTransactionsRequest request) {
        ListTransactionsRequestData data = request.data();
        ListTransactionsResponseData response = new ListTransactionsResponseData();
        Pattern pattern;
        try {
            String regex = data.transactionalIdPattern();
            pattern = regex == null || regex.isEmpty() ? null : Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            return response.setErrorCode(Errors.INVALID_REGULAR_EXPRESSION.code());
        }
        TransactionCoordinator.Listing listing = coordinator.list();
        if (listing.error() != Errors.NONE) {
            return response.setErrorCode(listing.error().code());
        }
        Set<TransactionState> states = EnumSet.noneOf(TransactionState.class);
        for (String name : data.stateFilters()) {
            TransactionState state = byName(name);
            if (state == null) {
                response.unknownStateFilters().add(name);
            } else {
                states.add(state);
            }
        }
        Set<Long> producerIds = new HashSet<>(data.producerIdFilters());
        long now = time.milliseconds();
        long durationMs = data.durationFilter();
        for (Map.Entry<String, TransactionLogRecords.Value> e : listing.states().entrySet()) {
            TransactionLogRecords.Value v = e.getValue();
            boolean include = (producerIds.isEmpty() || producerIds.contains(v.producerId()))
                    && (data.stateFilters().isEmpty() || states.contains(v.state()))
                    && (durationMs < 0 || now - v.startTimestampMs() > durationMs)
                    && (pattern == null || pattern.matcher(e.getKey()).matches());
            if (include) {
                response.transactionStates()
                        .add(new ListTransactionsResponseData.TransactionState()
                                .setTransactionalId(e.getKey())
                                .setProducerId(v.producerId())
                                .setTransactionState(v.state().kafkaName()));
            }
        }
        return response.setErrorCode(Errors.NONE.code());
    }

    private static TransactionState byName(String name) {
        for (TransactionState s : TransactionState.values()) {
            if (s.kafkaName().equals(name)) {
                return s;
            }
        }
        return null;
    }
}
