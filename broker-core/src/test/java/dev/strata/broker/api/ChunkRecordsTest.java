package dev.strata.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.tiering.RemoteRecords;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
import org.junit.jupiter.api.io.TempDir;

class ChunkRecordsTest {

    @TempDir
    Path tmp;

    private static final short VERSION = 12;

    @Test
    void severalPartsGoOnTheWireAsOneRecordSetThatAConsumerParses() throws Exception {
        RemoteRecords remote = new RemoteRecords(List.of(
                bytes(batches(0, "a", "b"), 1),
                RemoteRecords.EMPTY,
                bytes(batches(2, "c", "d", "e"), 4),
                bytes(batches(5, "f"), 5)));
        BaseRecords records = ChunkRecords.of(remote);
        assertThat(records.sizeInBytes()).isEqualTo(remote.sizeInBytes());
        assertThat(remote.upperBound()).isEqualTo(6);

        // twice: the response is sent from fresh views of the parts in memory, which stay as they were
        for (int i = 0; i < 2; i++) {
            assertThat(valuesOf(roundTrip(records))).containsExactly("0:a", "1:b", "2:c", "3:d", "4:e", "5:f");
        }
    }

    @Test
    void partsInLogFilesGoOnTheWireFromTheFilesWhichAreClosedOnceTheRecordsAreWritten() throws Exception {
        Path log = tmp.resolve("00000000000000000002-segment.log");
        ByteBuffer first = batches(2, "c", "d");
        ByteBuffer second = batches(4, "e");
        int skipped = 100;
        try (FileChannel out = FileChannel.open(log, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            out.write(ByteBuffer.allocate(skipped));
            out.write(first.duplicate());
            out.write(second.duplicate());
        }
        FileChannel file = FileChannel.open(log, StandardOpenOption.READ);
        RemoteRecords remote = new RemoteRecords(List.of(
                bytes(batches(0, "a", "b"), 1),
                new RemoteRecords.FileSlice(file, skipped, first.remaining() + second.remaining(), 4),
                bytes(batches(5, "f"), 5)));

        FetchResponse parsed = roundTrip(ChunkRecords.of(remote));

        assertThat(valuesOf(parsed)).containsExactly("0:a", "1:b", "2:c", "3:d", "4:e", "5:f");
        assertThat(file.isOpen()).as("closed once written whole").isFalse();
    }

    @Test
    void onePartInMemoryIsPlainMemoryRecordsAndPartsWithoutBatchesHaveNoUpperBound() {
        ByteBuffer only = batches(7, "x");
        assertThat(ChunkRecords.of(new RemoteRecords(List.of(bytes(only, 7))))).isInstanceOf(MemoryRecords.class);
        assertThat(new RemoteRecords(List.of(RemoteRecords.EMPTY, RemoteRecords.EMPTY)).upperBound())
                .isEqualTo(-1);
        assertThat(new RemoteRecords(List.of(bytes(only, 7), RemoteRecords.EMPTY)).upperBound())
                .isEqualTo(8);
    }

    private static RemoteRecords.Part bytes(ByteBuffer batches, long lastOffset) {
        return new RemoteRecords.Bytes(batches.asReadOnlyBuffer(), lastOffset);
    }

    /** Each record as {@code offset:value}, every batch checked against its CRC. */
    private static List<String> valuesOf(FetchResponse parsed) {
        List<String> values = new ArrayList<>();
        PartitionData pd = parsed.data().responses().get(0).partitions().get(0);
        for (RecordBatch batch : FetchResponse.recordsOrFail(pd).batches()) {
            batch.ensureValid();
            for (Record r : batch) {
                values.add(r.offset() + ":" + StandardCharsets.UTF_8.decode(r.value()));
            }
        }
        return values;
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
        public long transferFrom(FileChannel fileChannel, long position, long count) throws IOException {
            ByteBuffer some = ByteBuffer.allocate((int) Math.min(count, 7));
            int n = fileChannel.read(some, position);
            bytes.write(some.array(), 0, Math.max(n, 0));
            return Math.max(n, 0);
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }
}
