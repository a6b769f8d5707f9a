package io.omnistream.connectors.kafka.serde;

import io.omnistream.connectors.kafka.dlq.DeadLetterReason;
import io.omnistream.connectors.kafka.dlq.DeadLetters;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Kafka source deserialization that never throws: each record becomes a {@link Decoded} holding either the Avro
 * value or a {@link io.omnistream.schemas.DeadLetter} (malformed bytes, missing value) with the original key and
 * value bytes. A single bad record must not fail the job, and Flink's Kafka source would fail the job on any
 * exception thrown here.
 */
public final class RobustAvroDeserializationSchema<T extends SpecificRecordBase>
        implements KafkaRecordDeserializationSchema<Decoded<T>> {

    private static final long serialVersionUID = 1L;

    private final AvroCodec<T> codec;

    public RobustAvroDeserializationSchema(Class<T> type) {
        this.codec = AvroCodec.of(type);
    }

    public static <T extends SpecificRecordBase> RobustAvroDeserializationSchema<T> of(Class<T> type) {
        return new RobustAvroDeserializationSchema<>(type);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Decoded<T>> out) {
        out.collect(decode(record));
    }

    /** The decoding step on its own (no collector), for tests and other callers. */
    public Decoded<T> decode(ConsumerRecord<byte[], byte[]> record) {
        byte[] value = record.value();
        if (value == null) {
            return Decoded.dead(DeadLetters.of(record.topic(), record.partition(), record.offset(), record.key(),
                    null, DeadLetterReason.MISSING_VALUE, "record has no value"));
        }
        try {
            return Decoded.ok(codec.decode(value), record.topic(), record.partition(), record.offset());
        } catch (RuntimeException | StackOverflowError e) {
            return Decoded.dead(DeadLetters.of(record.topic(), record.partition(), record.offset(), record.key(),
                    value, DeadLetterReason.MALFORMED_RECORD, String.valueOf(e.getMessage())));
        }
    }

    @Override
    public TypeInformation<Decoded<T>> getProducedType() {
        return Decoded.typeInfo(codec.type());
    }
}
