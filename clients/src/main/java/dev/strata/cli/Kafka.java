package dev.strata.cli;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** Waits for kafka-clients futures and turns their failures into messages a user (and a script) can act on. */
final class Kafka {

    private Kafka() {}

    /**
     * The future's value.
     *
     * @param what what was being done, as "list the topics", for the message
     * @throws CliException if it failed, with the cause in words
     */
    static <T> T await(KafkaFuture<T> future, ClientOptions client, String what) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw failure(e.getCause(), client, what);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while trying to " + what, e);
        }
    }

    /** The topic's description, or a {@link CliException} that says it does not exist. */
    static TopicDescription describeTopic(Admin admin, ClientOptions client, String topic) {
        return awaitOnTopic(
                        admin.describeTopics(List.of(topic)).allTopicNames(), client, "look up topic " + topic, topic)
                .get(topic);
    }

    /** As {@link #await}, for a call about {@code topic}: when it does not exist, says so in those words. */
    static <T> T awaitOnTopic(KafkaFuture<T> future, ClientOptions client, String what, String topic) {
        try {
            return await(future, client, what);
        } catch (CliException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new CliException("topic " + topic + " does not exist", e.getCause());
            }
            throw e;
        }
    }

    /** The topic's partitions. */
    static List<TopicPartition> partitionsOf(TopicDescription description) {
        return description.partitions().stream()
                .map(p -> new TopicPartition(description.name(), p.partition()))
                .toList();
    }

    /** The partitions' offsets of {@code spec}; empty when the broker does not answer that kind (an old broker). */
    static Map<TopicPartition, Long> offsetsIfAnswered(
            Admin admin, Collection<TopicPartition> partitions, OffsetSpec spec) {
        try {
            return offsets(admin, partitions, spec);
        } catch (ExecutionException e) {
            return Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        }
    }

    /** The partitions' offsets of {@code spec}, failing with a message when the broker does not answer. */
    static Map<TopicPartition, Long> offsets(
            Admin admin, Collection<TopicPartition> partitions, OffsetSpec spec, ClientOptions client, String what) {
        try {
            return offsets(admin, partitions, spec);
        } catch (ExecutionException e) {
            throw failure(e.getCause(), client, what);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while trying to " + what, e);
        }
    }

    private static Map<TopicPartition, Long> offsets(
            Admin admin, Collection<TopicPartition> partitions, OffsetSpec spec)
            throws ExecutionException, InterruptedException {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(tp -> request.put(tp, spec));
        Map<TopicPartition, Long> result = new HashMap<>();
        if (!request.isEmpty()) {
            admin.listOffsets(request).all().get().forEach((tp, info) -> result.put(tp, info.offset()));
        }
        return result;
    }

    /** A failure of {@code what} as a {@link CliException} whose message says what went wrong. */
    static CliException failure(Throwable cause, ClientOptions client, String what) {
        if (cause instanceof CliException cli) {
            return cli;
        }
        if (cause instanceof TimeoutException) {
            return new CliException(
                    "could not " + what + ": no answer from the broker at " + client.bootstrapServer + " within "
                            + client.timeoutMs + " ms (is it running and reachable?)",
                    cause);
        }
        if (cause instanceof UnknownTopicOrPartitionException) {
            return new CliException("could not " + what + ": the topic does not exist", cause);
        }
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new CliException("could not " + what + ": " + message, cause);
    }
}
