package dev.strata.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;

/**
 * The topic one workload run uses. A created topic has a name unique to the run and is deleted on {@link #close()};
 * an existing topic (replay of a pre-filled topic) is only described, never deleted.
 */
final class BenchTopic implements AutoCloseable {
    private static final long ADMIN_TIMEOUT_S = 30;

    private final Admin admin;
    private final String name;
    private final List<TopicPartition> partitions;
    private final boolean owned;

    private BenchTopic(Admin admin, String name, List<TopicPartition> partitions, boolean owned) {
        this.admin = admin;
        this.name = name;
        this.partitions = List.copyOf(partitions);
        this.owned = owned;
    }

    /**
     * Creates {@code strata-bench-<workload>-<random>} with the spec's partitions and configs, and the broker's
     * {@code default.replication.factor} (1 on a single broker, 3 in {@code compare --cluster 3}).
     */
    static BenchTopic create(String bootstrap, WorkloadSpec spec) {
        String name = "strata-bench-" + spec.workload().label() + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        Admin admin = admin(bootstrap);
        try {
            NewTopic topic =
                    new NewTopic(name, Optional.of(spec.partitions()), Optional.empty()).configs(spec.topicConfigs());
            admin.createTopics(List.of(topic)).all().get(ADMIN_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException | RuntimeException e) {
            admin.close();
            throw failure("create topic " + name, e);
        }
        List<TopicPartition> parts = new ArrayList<>();
        for (int p = 0; p < spec.partitions(); p++) {
            parts.add(new TopicPartition(name, p));
        }
        BenchTopic topic = new BenchTopic(admin, name, parts, true);
        try {
            topic.awaitLeaders();
            return topic;
        } catch (RuntimeException e) {
            topic.close();
            throw e;
        }
    }

    /**
     * Waits until every partition's leader answers ListOffsets. CreateTopics returns when the controller has the
     * topic, before the broker has created the partitions' logs; a producer that starts sending in between gets
     * retriable errors on its first batches, and the Java producer's idempotent sequence handling can then end in
     * OUT_OF_ORDER_SEQUENCE_NUMBER and epoch bumps (seen with Apache Kafka 4.3 here), which would skew the numbers.
     */
    private void awaitLeaders() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ADMIN_TIMEOUT_S);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
        while (true) {
            try {
                admin.listOffsets(latest).all().get(ADMIN_TIMEOUT_S, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException | TimeoutException e) {
                if (System.nanoTime() > deadline) {
                    throw failure("find the leaders of " + name, e);
                }
            } catch (InterruptedException e) {
                throw failure("find the leaders of " + name, e);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    /** An existing topic, read as it is. */
    static BenchTopic existing(String bootstrap, String name) {
        Admin admin = admin(bootstrap);
        try {
            Map<String, TopicDescription> d =
                    admin.describeTopics(List.of(name)).allTopicNames().get(ADMIN_TIMEOUT_S, TimeUnit.SECONDS);
            List<TopicPartition> parts = d.get(name).partitions().stream()
                    .map(p -> new TopicPartition(name, p.partition()))
                    .toList();
            return new BenchTopic(admin, name, parts, false);
        } catch (InterruptedException | ExecutionException | TimeoutException | RuntimeException e) {
            admin.close();
            throw failure("describe topic " + name, e);
        }
    }

    static Admin admin(String bootstrap) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "strata-bench-admin");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TimeUnit.SECONDS.toMillis(ADMIN_TIMEOUT_S));
        return Admin.create(p);
    }

    String name() {
        return name;
    }

    /** ListOffsets of every partition, for example {@link OffsetSpec#latestTiered()}. */
    Map<TopicPartition, Long> offsets(OffsetSpec spec) {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(tp -> request.put(tp, spec));
        try {
            Map<TopicPartition, Long> offsets = new HashMap<>();
            admin.listOffsets(request)
                    .all()
                    .get(ADMIN_TIMEOUT_S, TimeUnit.SECONDS)
                    .forEach((tp, info) -> offsets.put(tp, info.offset()));
            return offsets;
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw failure("list the offsets of " + name, e);
        }
    }

    /** Sets one topic config (IncrementalAlterConfigs). */
    void setConfig(String key, String value) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, name);
        AlterConfigOp op = new AlterConfigOp(new ConfigEntry(key, value), AlterConfigOp.OpType.SET);
        try {
            admin.incrementalAlterConfigs(Map.of(resource, List.of(op))).all().get(ADMIN_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw failure("set " + key + "=" + value + " on " + name, e);
        }
    }

    List<TopicPartition> partitions() {
        return partitions;
    }

    @Override
    public void close() {
        try {
            if (owned) {
                admin.deleteTopics(List.of(name)).all().get(ADMIN_TIMEOUT_S, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            // The numbers are already taken; a topic left behind is worth a warning, not a failed run.
            System.err.println("warning: cannot delete topic " + name + ": " + e);
        } finally {
            admin.close();
        }
    }

    private static IllegalStateException failure(String what, Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        return new IllegalStateException("Cannot " + what + ": " + cause, cause);
    }
}
