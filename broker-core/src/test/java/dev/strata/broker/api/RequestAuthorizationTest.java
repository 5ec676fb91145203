package dev.strata.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.network.RequestContext;
import dev.strata.broker.security.AclAuthorizer;
import dev.strata.broker.security.AclSet;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.DescribeClusterRequest;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.junit.jupiter.api.Test;

/**
 * What the handler sees and what the client gets when a request names resources the caller may not touch: the
 * denied ones never reach the handler and are answered with Kafka's error beside the handler's answer.
 */
class RequestAuthorizationTest {
    private final List<AclBinding> acls = new ArrayList<>();
    private final RequestAuthorization authorization = new RequestAuthorization(
            new Permissions(new AclAuthorizer(Set.of(), false, () -> AclSet.of(acls)), id -> Optional.empty()),
            name -> name.equals("mine") || name.equals("theirs"),
            true);
    private final List<AbstractRequest> handled = new ArrayList<>();

    private void allow(String topic, AclOperation op) {
        acls.add(new AclBinding(
                new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
                new AccessControlEntry("User:alice", "*", op, AclPermissionType.ALLOW)));
    }

    private static RequestContext alice(ApiKeys api, short version) {
        return new RequestContext(
                new RequestHeader(api, version, "client", 1),
                new InetSocketAddress("127.0.0.1", 40000),
                "c1",
                "SASL_PLAINTEXT",
                new KafkaPrincipal("User", "alice"));
    }

    private ApiMessage dispatch(AbstractRequest request, ApiMessage handlerAnswer) {
        Function<AbstractRequest, CompletableFuture<ApiMessage>> next = r -> {
            handled.add(r);
            return CompletableFuture.completedFuture(handlerAnswer);
        };
        return authorization
                .dispatch(alice(request.apiKey(), request.version()), request, next)
                .join();
    }

    @Test
    void produceToATopicWithoutWriteNeverReachesTheHandler() {
        allow("mine", AclOperation.WRITE);
        ProduceRequestData data = new ProduceRequestData().setAcks((short) 1).setTimeoutMs(1000);
        for (String topic : List.of("mine", "theirs")) {
            data.topicData()
                    .add(new ProduceRequestData.TopicProduceData()
                            .setName(topic)
                            .setPartitionData(List.of(new ProduceRequestData.PartitionProduceData().setIndex(0))));
        }
        ProduceResponseData answer =
                (ProduceResponseData) dispatch(new ProduceRequest(data, (short) 11), new ProduceResponseData());

        assertThat(((ProduceRequest) handled.get(0)).data().topicData())
                .extracting(ProduceRequestData.TopicProduceData::name)
                .containsExactly("mine");
        assertThat(answer.responses()).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("theirs");
            assertThat(t.partitionResponses().get(0).errorCode()).isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED.code());
        });
    }

    @Test
    void aFollowersFetchWithoutClusterActionGetsNoData() {
        allow("mine", AclOperation.READ);
        FetchRequestData data = new FetchRequestData()
                .setReplicaId(2) // a follower's, before v15's ReplicaState
                .setTopics(new ArrayList<>(List.of(new FetchRequestData.FetchTopic()
                        .setTopic("mine")
                        .setPartitions(List.of(new FetchRequestData.FetchPartition().setPartition(0))))));
        FetchResponseData answer =
                (FetchResponseData) dispatch(new FetchRequest(data, (short) 12), new FetchResponseData());

        assertThat(((FetchRequest) handled.get(0)).data().topics()).isEmpty();
        assertThat(answer.responses().get(0).partitions().get(0).errorCode())
                .isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED.code());
    }

    @Test
    void metadataNeitherRevealsNorCreatesTopicsTheCallerMayNotDescribe() {
        allow("mine", AclOperation.DESCRIBE);
        allow("new-one", AclOperation.DESCRIBE); // describe, but no CREATE: not auto-created
        MetadataRequestData data = new MetadataRequestData().setAllowAutoTopicCreation(true);
        for (String topic : List.of("mine", "theirs", "new-one")) {
            data.topics().add(new MetadataRequestData.MetadataRequestTopic().setName(topic));
        }
        MetadataResponseData handlerAnswer = new MetadataResponseData();
        handlerAnswer.topics().add(new MetadataResponseData.MetadataResponseTopic().setName("mine"));
        MetadataResponseData answer =
                (MetadataResponseData) dispatch(new MetadataRequest(data, (short) 12), handlerAnswer);

        assertThat(((MetadataRequest) handled.get(0)).data().topics())
                .extracting(MetadataRequestData.MetadataRequestTopic::name)
                .containsExactly("mine");
        assertThat(answer.topics())
                .extracting(MetadataResponseData.MetadataResponseTopic::name, t -> Errors.forCode(t.errorCode()))
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("mine", Errors.NONE),
                        org.assertj.core.groups.Tuple.tuple("theirs", Errors.TOPIC_AUTHORIZATION_FAILED),
                        org.assertj.core.groups.Tuple.tuple("new-one", Errors.TOPIC_AUTHORIZATION_FAILED));
    }

    @Test
    void allTopicsMetadataLeavesOutWhatTheCallerMayNotDescribe() {
        allow("mine", AclOperation.READ); // READ implies DESCRIBE
        MetadataResponseData handlerAnswer = new MetadataResponseData();
        handlerAnswer.topics().add(new MetadataResponseData.MetadataResponseTopic().setName("mine"));
        handlerAnswer.topics().add(new MetadataResponseData.MetadataResponseTopic().setName("theirs"));
        MetadataResponseData answer = (MetadataResponseData)
                dispatch(new MetadataRequest(new MetadataRequestData().setTopics(null), (short) 12), handlerAnswer);

        assertThat(answer.topics())
                .extracting(MetadataResponseData.MetadataResponseTopic::name)
                .containsExactly("mine");
    }

    @Test
    void metadataByTopicIdAnswersTopicsTheCallerMayNotDescribeWithTheirIdOnly() {
        allow("mine", AclOperation.DESCRIBE);
        Uuid mine = Uuid.randomUuid();
        Uuid theirs = Uuid.randomUuid();
        MetadataRequestData data = new MetadataRequestData();
        for (Uuid id : List.of(mine, theirs)) {
            // kafka-clients sends an empty name with the id
            data.topics()
                    .add(new MetadataRequestData.MetadataRequestTopic()
                            .setName("")
                            .setTopicId(id));
        }
        MetadataResponseData handlerAnswer = new MetadataResponseData();
        handlerAnswer
                .topics()
                .add(new MetadataResponseData.MetadataResponseTopic()
                        .setName("mine")
                        .setTopicId(mine));
        handlerAnswer
                .topics()
                .add(new MetadataResponseData.MetadataResponseTopic()
                        .setName("theirs")
                        .setTopicId(theirs));
        MetadataResponseData answer =
                (MetadataResponseData) dispatch(new MetadataRequest(data, (short) 12), handlerAnswer);

        assertThat(((MetadataRequest) handled.get(0)).data().topics()).hasSize(2);
        assertThat(answer.topics())
                .extracting(
                        MetadataResponseData.MetadataResponseTopic::name,
                        MetadataResponseData.MetadataResponseTopic::topicId,
                        t -> Errors.forCode(t.errorCode()))
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("mine", mine, Errors.NONE),
                        org.assertj.core.groups.Tuple.tuple(null, theirs, Errors.TOPIC_AUTHORIZATION_FAILED));
    }

    @Test
    void withoutAnAuthorizerMetadataNamesEveryTopicOperationWhenAsked() {
        RequestAuthorization none = new RequestAuthorization(Permissions.allowAll(), name -> true, true);
        MetadataRequestData data = new MetadataRequestData().setIncludeTopicAuthorizedOperations(true);
        data.topics().add(new MetadataRequestData.MetadataRequestTopic().setName("mine"));
        MetadataResponseData handlerAnswer = new MetadataResponseData();
        handlerAnswer.topics().add(new MetadataResponseData.MetadataResponseTopic().setName("mine"));
        MetadataResponseData answer = (MetadataResponseData) none.dispatch(
                        alice(ApiKeys.METADATA, (short) 12),
                        new MetadataRequest(data, (short) 12),
                        r -> CompletableFuture.completedFuture(handlerAnswer))
                .join();
        // READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE (codes 3-8), DESCRIBE_CONFIGS, ALTER_CONFIGS (10, 11)
        assertThat(answer.topics().find("mine").topicAuthorizedOperations()).isEqualTo(0b1101_1111_1000);
    }

    @Test
    void clusterOperationsAreNoneForACallerThatMayNotDescribeTheCluster() {
        acls.add(new AclBinding(
                new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL),
                new AccessControlEntry("User:alice", "*", AclOperation.IDEMPOTENT_WRITE, AclPermissionType.ALLOW)));
        DescribeClusterResponseData answer = (DescribeClusterResponseData) dispatch(
                new DescribeClusterRequest.Builder(
                                new DescribeClusterRequestData().setIncludeClusterAuthorizedOperations(true))
                        .build((short) 1),
                new DescribeClusterResponseData());
        assertThat(answer.clusterAuthorizedOperations()).isZero();
    }
}
