package io.omnistream.connectors.kafka.serde;

import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka {@link Serializer} writing our Avro classes as plain binary Avro (see {@link AvroCodec} for why there is no
 * schema registry). For plain {@code KafkaProducer}s such as the edge's.
 */
public final class AvroSerializer<T extends SpecificRecordBase> implements Serializer<T> {

    private final AvroCodec<T> codec;

    public AvroSerializer(Class<T> type) {
        this.codec = AvroCodec.of(type);
    }

    @Override
    public byte[] serialize(String topic, T data) {
        return data == null ? null : codec.encode(data);
    }
}
