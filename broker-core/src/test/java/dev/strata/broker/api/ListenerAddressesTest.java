package dev.strata.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.ListenerEndpoint;
import dev.strata.broker.network.RequestContext;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.junit.jupiter.api.Test;

/** Every broker is named by its address on the listener the client connected to, as Kafka's metadata cache does. */
class ListenerAddressesTest {

    /** Broker 1 (this one) and 2 have INTERNAL and EXTERNAL listeners, 3 INTERNAL only, 4 registered no endpoints. */
    private static final Map<Integer, ClusterBroker> BROKERS = Map.of(
            1,
            broker(1, "EXTERNAL", 9094),
            2,
            broker(2, "EXTERNAL", 9094),
            3,
            new ClusterBroker(
                    3,
                    "10.0.0.3",
                    9092,
                    Optional.empty(),
                    false,
                    List.of(new ListenerEndpoint("INTERNAL", "10.0.0.3", 9092))),
            4,
            new ClusterBroker(4, "10.0.0.4", 9092, Optional.empty(), false));

    private final ListenerAddresses addresses = new ListenerAddresses(1, id -> Optional.ofNullable(BROKERS.get(id)));

    private static ClusterBroker broker(int id, String listener, int port) {
        return new ClusterBroker(
                id,
                "10.0.0." + id,
                9092,
                Optional.empty(),
                false,
                List.of(
                        new ListenerEndpoint("INTERNAL", "10.0.0." + id, 9092),
                        new ListenerEndpoint(listener, "broker-" + id + ".example.com", port)));
    }

    private static RequestContext on(String listener, ApiKeys api, short version) {
        return new RequestContext(
                new RequestHeader(api, version, "client", 1),
                new InetSocketAddress("127.0.0.1", 5555),
                "c",
                listener,
                KafkaPrincipal.ANONYMOUS);
    }

    private static MetadataResponseData metadata() {
        MetadataResponseData data = new MetadataResponseData();
        for (int id = 1; id <= 4; id++) {
            data.brokers()
                    .add(new MetadataResponseData.MetadataResponseBroker()
                            .setNodeId(id)
                            .setHost("10.0.0." + id)
                            .setPort(9092));
        }
        MetadataResponseData.MetadataResponseTopic topic =
                new MetadataResponseData.MetadataResponseTopic().setName("t");
        for (int p = 0; p < 4; p++) {
            topic.partitions()
                    .add(new MetadataResponseData.MetadataResponsePartition()
                            .setPartitionIndex(p)
                            .setLeaderId(p + 1));
        }
        data.topics().add(topic);
        return data;
    }

    @Test
    void aClientOnAListenerIsToldEveryBrokersAddressOnIt() {
        MetadataResponseData data =
                (MetadataResponseData) addresses.forListener(on("EXTERNAL", ApiKeys.METADATA, (short) 12), metadata());

        assertThat(data.brokers())
                .extracting(b -> b.nodeId() + "=" + b.host() + ":" + b.port())
                .containsExactly("1=broker-1.example.com:9094", "2=broker-2.example.com:9094", "4=10.0.0.4:9092");
        // broker 3 has no EXTERNAL listener: its partition has no leader a client there can reach
        List<MetadataResponseData.MetadataResponsePartition> partitions =
                data.topics().find("t").partitions();
        assertThat(partitions.get(2).errorCode()).isEqualTo(Errors.LISTENER_NOT_FOUND.code());
        assertThat(partitions.get(2).leaderId()).isEqualTo(-1);
        assertThat(partitions.get(0).errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(partitions.get(3).leaderId()).isEqualTo(4);
    }

    @Test
    void oldMetadataVersionsGetLeaderNotAvailableInstead() {
        MetadataResponseData data =
                (MetadataResponseData) addresses.forListener(on("EXTERNAL", ApiKeys.METADATA, (short) 5), metadata());

        assertThat(data.topics().find("t").partitions().get(2).errorCode())
                .isEqualTo(Errors.LEADER_NOT_AVAILABLE.code());
    }

    @Test
    void thisBrokersOwnEndpointsApplyBeforeItsRegistrationDoes() {
        addresses.advertise(List.of(new ListenerEndpoint("EXTERNAL", "public-1", 19094)));
        DescribeClusterResponseData cluster = new DescribeClusterResponseData();
        cluster.brokers()
                .add(new DescribeClusterResponseData.DescribeClusterBroker()
                        .setBrokerId(1)
                        .setHost("10.0.0.1")
                        .setPort(9092));
        cluster.brokers()
                .add(new DescribeClusterResponseData.DescribeClusterBroker()
                        .setBrokerId(3)
                        .setHost("10.0.0.3")
                        .setPort(9092));

        addresses.forListener(on("EXTERNAL", ApiKeys.DESCRIBE_CLUSTER, (short) 1), cluster);

        assertThat(cluster.brokers())
                .extracting(b -> b.brokerId() + "=" + b.host() + ":" + b.port())
                .containsExactly("1=public-1:19094");
    }

    @Test
    void aCoordinatorWithoutTheListenerIsNotAvailable() {
        FindCoordinatorResponseData found = new FindCoordinatorResponseData();
        found.coordinators()
                .add(new FindCoordinatorResponseData.Coordinator()
                        .setKey("g1")
                        .setNodeId(2)
                        .setHost("10.0.0.2")
                        .setPort(9092));
        found.coordinators()
                .add(new FindCoordinatorResponseData.Coordinator()
                        .setKey("g2")
                        .setNodeId(3)
                        .setHost("10.0.0.3")
                        .setPort(9092));

        addresses.forListener(on("EXTERNAL", ApiKeys.FIND_COORDINATOR, (short) 4), found);

        assertThat(found.coordinators().get(0).host()).isEqualTo("broker-2.example.com");
        assertThat(found.coordinators().get(0).port()).isEqualTo(9094);
        assertThat(found.coordinators().get(1).errorCode()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE.code());
        assertThat(found.coordinators().get(1).nodeId()).isEqualTo(-1);
    }

    @Test
    void onTheInterBrokerListenerRegisteredAddressesStand() {
        MetadataResponseData data =
                (MetadataResponseData) addresses.forListener(on("INTERNAL", ApiKeys.METADATA, (short) 12), metadata());

        assertThat(data.brokers())
                .extracting(b -> b.host() + ":" + b.port())
                .containsExactly("10.0.0.1:9092", "10.0.0.2:9092", "10.0.0.3:9092", "10.0.0.4:9092");
    }
}
