package dev.strata.bench.jmh;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.SendBuilder;
import org.apache.kafka.common.requests.ResponseHeader;
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
 * Encoding responses as the broker's connection handler does: {@link SendBuilder#buildResponseSend} and writing the
 * send out, here into a heap buffer standing in for the socket. The Fetch response carries one 16 KiB batch held in
 * memory (a local fetch from a segment would hand file slices to sendfile instead).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ResponseEncodeBench {
    private final BufferChannel socket = new BufferChannel(64 * 1024);
    private FetchResponseData fetch;
    private ProduceResponseData produce;
    private short fetchVersion;
    private short produceVersion;

    @Setup
    public void setup() {
        fetchVersion = ApiKeys.FETCH.latestVersion();
        produceVersion = ApiKeys.PRODUCE.latestVersion();
        fetch = new FetchResponseData()
                .setResponses(List.of(new FetchResponseData.FetchableTopicResponse()
                        .setTopicId(Uuid.randomUuid())
                        .setPartitions(List.of(new FetchResponseData.PartitionData()
                                .setPartitionIndex(0)
                                .setHighWatermark(Batches.RECORDS)
                                .setLastStableOffset(Batches.RECORDS)
                                .setLogStartOffset(0)
                                .setRecords(Batches.batch16k())))));
        produce = new ProduceResponseData()
                .setResponses(new ProduceResponseData.TopicProduceResponseCollection(
                        List.of(new ProduceResponseData.TopicProduceResponse()
                                        .setName("bench")
                                        .setTopicId(Uuid.randomUuid())
                                        .setPartitionResponses(
                                                List.of(new ProduceResponseData.PartitionProduceResponse()
                                                        .setIndex(0)
                                                        .setBaseOffset(1_000_000)
                                                        .setLogStartOffset(0))))
                                .iterator()));
    }

    @Benchmark
    public int encodeFetchResponse() throws IOException {
        return write(fetch, ApiKeys.FETCH, fetchVersion);
    }

    @Benchmark
    public int encodeProduceResponse() throws IOException {
        return write(produce, ApiKeys.PRODUCE, produceVersion);
    }

    private int write(ApiMessage body, ApiKeys api, short version) throws IOException {
        Send send =
                SendBuilder.buildResponseSend(new ResponseHeader(7, api.responseHeaderVersion(version)), body, version);
        socket.clear();
        while (!send.completed()) {
            send.writeTo(socket);
        }
        return socket.position();
    }

    /** A socket stand-in: copies whatever is written into one reusable heap buffer. */
    private static final class BufferChannel implements TransferableChannel {
        private final ByteBuffer buffer;

        BufferChannel(int capacity) {
            this.buffer = ByteBuffer.allocate(capacity);
        }

        void clear() {
            buffer.clear();
        }

        int position() {
            return buffer.position();
        }

        @Override
        public boolean hasPendingWrites() {
            return false;
        }

        @Override
        public long transferFrom(FileChannel fileChannel, long position, long count) throws IOException {
            return fileChannel.transferTo(position, count, this);
        }

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            buffer.put(src);
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            long n = 0;
            for (int i = offset; i < offset + length; i++) {
                n += write(srcs[i]);
            }
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs) {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }
}
