package dev.strata.bench.jmh;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.MessageSizeAccumulator;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decoding a Produce request frame carrying one 16 KiB batch, as the broker's connection handler does it: request
 * header, then {@link AbstractRequest#parseRequest} on the rest of the frame. The records are sliced, not copied, so
 * this measures the framing and message classes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RequestDecodeBench {
    private ByteBuffer frame;

    @Setup
    public void setup() {
        short version = ApiKeys.PRODUCE.latestVersion();
        ProduceRequestData data = new ProduceRequestData()
                .setAcks((short) -1)
                .setTimeoutMs(30_000)
                .setTopicData(new ProduceRequestData.TopicProduceDataCollection(
                        List.of(new ProduceRequestData.TopicProduceData()
                                        .setName("bench")
                                        .setTopicId(Uuid.randomUuid())
                                        .setPartitionData(List.of(new ProduceRequestData.PartitionProduceData()
                                                .setIndex(0)
                                                .setRecords(Batches.batch16k()))))
                                .iterator()));
        RequestHeader header = new RequestHeader(ApiKeys.PRODUCE, version, "bench-producer", 7);
        ObjectSerializationCache cache = new ObjectSerializationCache();
        MessageSizeAccumulator size = new MessageSizeAccumulator();
        header.data().addSize(size, cache, header.headerVersion());
        data.addSize(size, cache, version);
        frame = ByteBuffer.allocate(size.totalSize());
        ByteBufferAccessor out = new ByteBufferAccessor(frame);
        header.data().write(out, cache, header.headerVersion());
        data.write(out, cache, version);
        frame.flip();
    }

    @Benchmark
    public AbstractRequest decodeProduceRequest() {
        ByteBuffer buf = frame.duplicate();
        RequestHeader header = RequestHeader.parse(buf);
        return AbstractRequest.parseRequest(header.apiKey(), header.apiVersion(), new ByteBufferAccessor(buf)).request;
    }
}
