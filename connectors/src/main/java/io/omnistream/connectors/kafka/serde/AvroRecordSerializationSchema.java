package io.omnistream.connectors.kafka.serde;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Flink Kafka sink serialization: key = the session id as UTF-8 bytes (so a session stays on one partition and in
 * order), value = binary Avro ({@link AvroCodec}).
 */
public final class AvroRecordSerializationSchema<T extends SpecificRecordBase>
        implements KafkaRecordSerializationSchema<T> {

    private static final long serialVersionUID = 1L;

    private final String topic;
    private final AvroCodec<T> codec;
    private final SerializableFunction<T, byte[]> key;

    private AvroRecordSerializationSchema(String topic, Class<T> type, SerializableFunction<T, byte[]> key) {
        this.topic = Objects.requireNonNull(topic);
        this.codec = AvroCodec.of(type);
        this.key = Objects.requireNonNull(key);
    }

    /** Keyed by the string {@code sessionId} returns (null key if it returns null). */
    public static <T extends SpecificRecordBase> AvroRecordSerializationSchema<T> keyedBySession(String topic,
            Class<T> type, SerializableFunction<T, String> sessionId) {
        return new AvroRecordSerializationSchema<>(topic, type, r -> {
            String s = sessionId.apply(r);
            return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
        });
    }

    /** Keyed by raw bytes. */
    public static <T extends SpecificRecordBase> AvroRecordSerializationSchema<T> keyedByBytes(String topic,
            Class<T> type, SerializableFunction<T, byte[]> key) {
        return new AvroRecordSerializationSchema<>(topic, type, key);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(topic, null, timestamp, key.apply(element), codec.encode(element));
    }
}
