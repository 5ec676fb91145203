package dev.strata.broker.txn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class TransactionLogRecordsTest {

    private static TransactionLogRecords.Value ongoing(long previous, long next, short clientVersion) {
        return new TransactionLogRecords.Value(
                42L,
                previous,
                next,
                (short) 3,
                60_000,
                TransactionState.ONGOING,
                Set.of(new TopicPartition("b", 1), new TopicPartition("a", 0), new TopicPartition("b", 0)),
                1_000L,
                900L,
                clientVersion);
    }

    @Test
    void keyIsVersionZeroThenAnInt16LengthString() {
        assertThat(TransactionLogRecords.key("tx")).containsExactly(0, 0, 0, 2, 't', 'x');
        assertThat(TransactionLogRecords.readKey(ByteBuffer.wrap(TransactionLogRecords.key("tx-é"))))
                .isEqualTo("tx-é");
    }

    @Test
    void aKeyOfAnotherVersionIsSkipped() {
        assertThat(TransactionLogRecords.readKey(ByteBuffer.wrap(new byte[] {0, 1, 0, 0})))
                .isNull();
    }

    @Test
    void versionZeroValueHasKafkasLayout() {
        TransactionLogRecords.Value v = new TransactionLogRecords.Value(
                7L,
                -1,
                -1,
                (short) 1,
                500,
                TransactionState.ONGOING,
                Set.of(new TopicPartition("t", 2)),
                11L,
                10L,
                (short) 0);
        ByteBuffer b = ByteBuffer.wrap(TransactionLogRecords.value(v, (short) 0));
        assertThat(b.getShort()).isEqualTo((short) 0);
        assertThat(b.getLong()).isEqualTo(7L);
        assertThat(b.getShort()).isEqualTo((short) 1);
        assertThat(b.getInt()).isEqualTo(500);
        assertThat(b.get()).isEqualTo((byte) 1);
        assertThat(b.getInt()).isEqualTo(1); // one topic
        assertThat(b.getShort()).isEqualTo((short) 1);
        assertThat(b.get()).isEqualTo((byte) 't');
        assertThat(b.getInt()).isEqualTo(1); // one partition
        assertThat(b.getInt()).isEqualTo(2);
        assertThat(b.getLong()).isEqualTo(11L);
        assertThat(b.getLong()).isEqualTo(10L);
        assertThat(b.hasRemaining()).isFalse();
    }

    @Test
    void anEmptyTransactionWritesNullPartitions() {
        TransactionLogRecords.Value v = new TransactionLogRecords.Value(
                7L, -1, -1, (short) 0, 500, TransactionState.EMPTY, Set.of(), 11L, -1L, (short) 0);
        ByteBuffer b = ByteBuffer.wrap(TransactionLogRecords.value(v, (short) 0));
        b.position(2 + 8 + 2 + 4 + 1);
        assertThat(b.getInt()).isEqualTo(-1);
        assertThat(TransactionLogRecords.readValue(ByteBuffer.wrap(TransactionLogRecords.value(v, (short) 1))))
                .isEqualTo(v);
    }

    @Test
    void bothVersionsRoundTrip() {
        TransactionLogRecords.Value plain = ongoing(-1, -1, (short) 0);
        assertThat(TransactionLogRecords.readValue(ByteBuffer.wrap(TransactionLogRecords.value(plain, (short) 0))))
                .isEqualTo(plain);
        TransactionLogRecords.Value tagged = ongoing(41L, 43L, (short) 2);
        assertThat(TransactionLogRecords.readValue(ByteBuffer.wrap(TransactionLogRecords.value(tagged, (short) 1))))
                .isEqualTo(tagged);
        assertThat(TransactionLogRecords.readValue(ByteBuffer.wrap(TransactionLogRecords.value(plain, (short) 1))))
                .isEqualTo(plain);
    }

    @Test
    void versionOneWritesOnlyTaggedFieldsThatAreNotTheirDefault() {
        byte[] plain = TransactionLogRecords.value(ongoing(-1, -1, (short) 0), (short) 1);
        byte[] tagged = TransactionLogRecords.value(ongoing(41L, -1, (short) 0), (short) 1);
        assertThat(plain[plain.length - 1]).isZero(); // an empty tagged-field section
        assertThat(tagged.length - plain.length).isEqualTo(1 + 1 + 8); // tag, size, int64
    }

    @Test
    void unknownVersionsAndStatesAreRefused() {
        assertThatThrownBy(() -> TransactionLogRecords.readValue(ByteBuffer.wrap(new byte[] {0, 2})))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TransactionLogRecords.value(ongoing(-1, -1, (short) 0), (short) 2))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TransactionState.fromId((byte) 8)).isInstanceOf(IllegalArgumentException.class);
    }
}
