package io.omnistream.connectors.kafka.serde;

import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Kafka {@link Deserializer} reading our Avro classes from plain binary Avro (see {@link AvroCodec}). For plain
 * {@code KafkaConsumer}s such as the edge's; malformed bytes raise Kafka's {@link SerializationException}. Flink
 * jobs use {@link RobustAvroDeserializationSchema} instead, which never throws.
 */
public final class AvroDeserializer<T extends SpecificRecordBase> implements Deserializer<T> {

    private final AvroCodec<T> codec;

    public AvroDeserializer(Class<T> type) {
        this.codec = AvroCodec.of(type);
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        try {
            return codec.decode(data);
        } catch (MalformedRecordException e) {
            throw new SerializationException("Malformed record on " + topic + ": " + e.getMessage(), e);
        }
    }
}
