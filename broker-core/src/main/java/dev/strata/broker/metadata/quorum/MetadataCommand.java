package dev.strata.broker.metadata.quorum;

import dev.strata.broker.metadata.TopicMetadata;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A change to the metadata image, as one Raft log entry. An entry is a type byte followed by the command's fields in
 * the {@link MetadataCodec} encoding:
 *
 * <pre>
 *   1 PutTopic            topic
 *   2 RemoveTopic         string name
 *   3 ReserveProducerIds  int count
 *   4 RegisterBroker      broker
 * </pre>
 *
 * The type bytes are part of the log format: never renumber them, only add new ones.
 */
public sealed interface MetadataCommand {

    /** Creates or replaces a topic's record. */
    record PutTopic(TopicMetadata topic) implements MetadataCommand {
        @Override
        public void validate() {
            if (topic.name().isEmpty() || topic.partitions() < 1) {
                throw new IllegalArgumentException("Invalid topic record " + topic);
            }
        }

        @Override
        public long applyTo(MetadataImage image) {
            image.putTopic(topic);
            return 0;
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(1);
            MetadataCodec.writeTopic(out, topic);
        }
    }

    /** Removes a topic's record; removing an unknown topic changes nothing. */
    record RemoveTopic(String name) implements MetadataCommand {
        @Override
        public long applyTo(MetadataImage image) {
            image.removeTopic(name);
            return 0;
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(2);
            MetadataCodec.writeString(out, name);
        }
    }

    /** Hands out the next {@code count} producer ids; the applied entry answers with the first of them. */
    record ReserveProducerIds(int count) implements MetadataCommand {
        @Override
        public void validate() {
            if (count < 1) {
                throw new IllegalArgumentException("Cannot reserve " + count + " producer ids");
            }
        }

        @Override
        public long applyTo(MetadataImage image) {
            return image.reserveProducerIds(count);
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(3);
            out.writeInt(count);
        }
    }

    /** Records (or replaces) a broker's registration. */
    record RegisterBroker(BrokerRegistration broker) implements MetadataCommand {
        @Override
        public void validate() {
            if (broker.port() < 0 || broker.port() > 65535) {
                throw new IllegalArgumentException("Invalid broker registration " + broker);
            }
        }

        @Override
        public long applyTo(MetadataImage image) {
            image.registerBroker(broker);
            return 0;
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(4);
            MetadataCodec.writeBroker(out, broker);
        }
    }

    /**
     * Checks what the leader can check before the entry enters the log: applying a command must not fail, so what
     * could make it fail is refused here.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    default void validate() {}

    /**
     * Changes the image; the same command on the same image gives the same image on every voter.
     *
     * @return the answer to the writer: the first reserved id for {@link ReserveProducerIds}, else 0
     */
    long applyTo(MetadataImage image);

    /** Writes the type byte and the fields. */
    void writeTo(DataOutputStream out) throws IOException;

    default byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array stream does not fail
        }
        return bytes.toByteArray();
    }

    /** @throws IOException if the bytes are not exactly one command */
    static MetadataCommand fromBytes(byte[] bytes) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        int type = in.readByte();
        MetadataCommand command =
                switch (type) {
                    case 1 -> new PutTopic(MetadataCodec.readTopic(in));
                    case 2 -> new RemoveTopic(MetadataCodec.readString(in));
                    case 3 -> new ReserveProducerIds(in.readInt());
                    case 4 -> new RegisterBroker(MetadataCodec.readBroker(in));
                    default -> throw new IOException("Unknown metadata command type " + type);
                };
        if (in.available() != 0) {
            throw new IOException(in.available() + " bytes left after metadata command " + command);
        }
        return command;
    }
}
