package dev.strata.broker.group;

import dev.strata.broker.metadata.TopicMetadata;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.apache.kafka.common.Uuid;

/**
 * The topics a member of a KIP-848 consumer group subscribes to: those it names, and those its regex
 * ({@code SubscribedTopicRegex}) matches that its principal may DESCRIBE. A topic it names needs no check here: a
 * heartbeat naming a topic its principal may not describe is refused before it reaches the coordinator.
 *
 * <p>As in Apache Kafka 4.x, a regex never hands a member a topic it may not describe: the topic is simply not
 * assigned to it, with no error. Kafka resolves each regex once per group, filtered by the principal of the member
 * whose heartbeat triggered the resolution; Strata filters each member's matches by that member's own principal, on
 * every target computation, so an ACL change takes effect at the group's next heartbeat and two members of one group
 * with the same regex but different rights each get what they may see. A member restored from the log keeps only
 * the matching topics it was already assigned until its first heartbeat tells whose it is.
 */
final class SubscribedTopics {
    private SubscribedTopics() {}

    static Set<Uuid> ids(ConsumerGroupMember m, ConsumerGroupCoordinator.Topics topics) {
        Set<Uuid> ids = new HashSet<>();
        for (String name : m.subscribedTopicNames) {
            topics.byName(name).ifPresent(t -> ids.add(t.topicId()));
        }
        if (m.subscribedTopicRegex == null) {
            return ids;
        }
        Pattern p = Pattern.compile(m.subscribedTopicRegex);
        Predicate<TopicMetadata> allowed = m.mayDescribeTopic != null
                ? t -> m.mayDescribeTopic.test(t.name())
                : t -> m.assigned.containsKey(t.topicId());
        for (TopicMetadata t : topics.all()) {
            if (!t.name().startsWith("__") && p.matcher(t.name()).matches() && allowed.test(t)) {
                ids.add(t.topicId());
            }
        }
        return ids;
    }
}
