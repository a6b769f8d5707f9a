package io.omnistream.connectors.kafka.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.connectors.kafka.dlq.DeadLetterReason;
import io.omnistream.connectors.testutils.MediaChunks;
import io.omnistream.schemas.MediaChunk;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class RobustAvroDeserializationSchemaTest {

    private final RobustAvroDeserializationSchema<MediaChunk> schema =
            RobustAvroDeserializationSchema.of(MediaChunk.class);

    @Test
    void decodesAValidRecordWithItsSourcePosition() {
        MediaChunk chunk = MediaChunks.audio("session-0001", 3);
        Decoded<MediaChunk> d = schema.decode(record(AvroCodec.of(MediaChunk.class).encode(chunk)));
        assertThat(d.isOk()).isTrue();
        assertThat(d.getValue()).isEqualTo(chunk);
        assertThat(d.getSourceTopic()).isEqualTo("omni.media.audio");
        assertThat(d.getPartition()).isEqualTo(1);
        assertThat(d.getOffset()).isEqualTo(99L);
    }

    @Test
    void turnsMalformedBytesIntoADeadLetterInsteadOfThrowing() {
        byte[] garbage = "not avro at all".getBytes(StandardCharsets.UTF_8);
        List<Decoded<MediaChunk>> out = new ArrayList<>();
        schema.deserialize(record(garbage), collector(out));
        assertThat(out).hasSize(1);
        Decoded<MediaChunk> d = out.get(0);
        assertThat(d.isOk()).isFalse();
        assertThat(d.getDeadLetter().getReason()).isEqualTo(DeadLetterReason.MALFORMED_RECORD.name());
        assertThat(d.getDeadLetter().getSourceTopic()).isEqualTo("omni.media.audio");
        assertThat(d.getDeadLetter().getPartition()).isEqualTo(1);
        assertThat(d.getDeadLetter().getOffset()).isEqualTo(99L);
        assertThat(d.getDeadLetter().getValue()).isEqualTo(ByteBuffer.wrap(garbage));
        assertThat(d.getDeadLetter().getKey()).isEqualTo(ByteBuffer.wrap("key-1".getBytes(StandardCharsets.UTF_8)));
        assertThat(d.getDeadLetter().getDetail()).isNotEmpty();
    }

    @Test
    void turnsATombstoneIntoAMissingValueDeadLetter() {
        Decoded<MediaChunk> d = schema.decode(record(null));
        assertThat(d.getDeadLetter().getReason()).isEqualTo(DeadLetterReason.MISSING_VALUE.name());
    }

    @Test
    void producedTypeSerializesBothOutcomesWithFlinkSerializers() throws Exception {
        TypeInformation<Decoded<MediaChunk>> type = schema.getProducedType();
        TypeSerializer<Decoded<MediaChunk>> serializer = type.createSerializer(new SerializerConfigImpl());
        assertThat(serializer.getClass().getSimpleName()).isEqualTo("PojoSerializer");
        for (Decoded<MediaChunk> d : List.of(
                schema.decode(record(AvroCodec.of(MediaChunk.class).encode(MediaChunks.audio("session-0001", 1)))),
                schema.decode(record(new byte[] {9, 9})))) {
            DataOutputSerializer out = new DataOutputSerializer(1024);
            serializer.serialize(d, out);
            Decoded<MediaChunk> copy = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
            assertThat(copy.isOk()).isEqualTo(d.isOk());
            assertThat(copy.getValue()).isEqualTo(d.getValue());
            assertThat(copy.getDeadLetter()).isEqualTo(d.getDeadLetter());
            assertThat(copy.getOffset()).isEqualTo(99L);
        }
    }

    private static ConsumerRecord<byte[], byte[]> record(byte[] value) {
        return new ConsumerRecord<>("omni.media.audio", 1, 99L, "key-1".getBytes(StandardCharsets.UTF_8), value);
    }

    private static <T> Collector<T> collector(List<T> out) {
        return new Collector<>() {
            @Override
            public void collect(T record) {
                out.add(record);
            }

            @Override
            public void close() {}
        };
    }
}
