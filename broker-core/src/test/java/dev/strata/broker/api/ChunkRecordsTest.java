package dev.strata.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.SendBuilder;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.ResponseHeader;
import org.junit.jupiter.api.Test;

class ChunkRecordsTest {

    private static final short VERSION = 12;

    @Test
    void severalPartsGoOnTheWireAsOneRecordSetThatAConsumerParses() throws Exception {
        List<ByteBuffer> parts = List.of(
                batches(0, "a", "b").asReadOnlyBuffer(),
                ByteBuffer.allocate(0),
                batches(2, "c", "d", "e").asReadOnlyBuffer(),
                batches(5, "f").asReadOnlyBuffer());
        BaseRecords records = ChunkRecords.of(parts);
        assertThat(records.sizeInBytes())
                .isEqualTo(parts.stream().mapToInt(ByteBuffer::remaining).sum());
        assertThat(ChunkRecords.upperBound(parts)).isEqualTo(6);

        // twice: the response is sent from fresh views of the parts, which stay as they were
        for (int i = 0; i < 2; i++) {
            FetchResponse parsed = roundTrip(records);
            List<String> values = new ArrayList<>();
            List<Long> offsets = new ArrayList<>();
            PartitionData pd = parsed.data().responses().get(0).partitions().get(0);
            for (RecordBatch batch : FetchResponse.recordsOrFail(pd).batches()) {
                batch.ensureValid();
                for (Record r : batch) {
                    offsets.add(r.offset());
                    values.add(StandardCharsets.UTF_8.decode(r.value()).toString());
                }
            }
            assertThat(offsets).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
            assertThat(values).containsExactly("a", "b", "c", "d", "e", "f");
        }
    }

    @Test
    void onePartIsPlainMemoryRecordsAndPartsWithoutBatchesHaveNoUpperBound() {
        ByteBuffer only = batches(7, "x");
        assertThat(ChunkRecords.of(List.of(only))).isInstanceOf(MemoryRecords.class);
        assertThat(ChunkRecords.upperBound(List.of(ByteBuffer.allocate(0), ByteBuffer.allocate(0))))
                .isEqualTo(-1);
        assertThat(ChunkRecords.upperBound(List.of(only, ByteBuffer.allocate(0))))
                .isEqualTo(8);
    }

    private static ByteBuffer batches(long baseOffset, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = new SimpleRecord(values[i].getBytes(StandardCharsets.UTF_8));
        }
        return MemoryRecords.withRecords(baseOffset, Compression.NONE, records).buffer();
    }

    private static FetchResponse roundTrip(BaseRecords records) throws Exception {
        FetchResponseData data = new FetchResponseData()
                .setResponses(List.of(new FetchableTopicResponse()
                        .setTopic("t")
                        .setPartitions(
                                List.of(new PartitionData().setPartitionIndex(0).setRecords(records)))));
        short headerVersion = ApiKeys.FETCH.responseHeaderVersion(VERSION);
        Send send = SendBuilder.buildResponseSend(new ResponseHeader(42, headerVersion), data, VERSION);
        Sink sink = new Sink();
        while (!send.completed()) {
            send.writeTo(sink);
        }
        ByteBuffer wire = ByteBuffer.wrap(sink.bytes.toByteArray());
        assertThat(wire.getInt()).isEqualTo(wire.remaining());
        assertThat(ResponseHeader.parse(wire, headerVersion).correlationId()).isEqualTo(42);
        return FetchResponse.parse(new ByteBufferAccessor(wire), VERSION);
    }

    /** A socket that takes a few bytes at a time, as a full one does. */
    private static final class Sink implements TransferableChannel {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public int write(ByteBuffer src) {
            int n = Math.min(src.remaining(), 7);
            for (int i = 0; i < n; i++) {
                bytes.write(src.get());
            }
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            long total = 0;
            for (int i = offset; i < offset + length; i++) {
                if (srcs[i].hasRemaining()) {
                    return write(srcs[i]);
                }
            }
            return total;
        }

        @Override
        public long write(ByteBuffer[] srcs) {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public boolean hasPendingWrites() {
            return false;
        }

        @Override
        public long transferFrom(FileChannel fileChannel, long position, long count) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }
}
