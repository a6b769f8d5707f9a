package io.omnistream.connectors.kafka.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.omnistream.connectors.kafka.dlq.DeadLetterReason;
import io.omnistream.connectors.kafka.dlq.DeadLetters;
import io.omnistream.connectors.testutils.MediaChunks;
import io.omnistream.schemas.DeadLetter;
import io.omnistream.schemas.MediaChunk;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroCodecTest {

    private final AvroCodec<MediaChunk> codec = AvroCodec.of(MediaChunk.class);

    @Test
    void mediaChunkSurvivesARoundTrip() {
        MediaChunk chunk = MediaChunks.audio("session-0001", 7);
        byte[] bytes = codec.encode(chunk);
        assertThat(codec.decode(bytes)).isEqualTo(chunk);
    }

    @Test
    void kafkaSerializerAndDeserializerRoundTripADeadLetter() {
        DeadLetter dl = DeadLetters.of("omni.media.audio", 2, 42L, "k".getBytes(StandardCharsets.UTF_8),
                new byte[] {1, 2, 3}, DeadLetterReason.MALFORMED_RECORD, "bad");
        try (AvroSerializer<DeadLetter> ser = new AvroSerializer<>(DeadLetter.class);
                AvroDeserializer<DeadLetter> de = new AvroDeserializer<>(DeadLetter.class)) {
            byte[] bytes = ser.serialize("omni.dlq", dl);
            assertThat(de.deserialize("omni.dlq", bytes)).isEqualTo(dl);
            assertThat(ser.serialize("omni.dlq", null)).isNull();
            assertThat(de.deserialize("omni.dlq", null)).isNull();
        }
    }

    @Test
    void codecIsSerializableLikeAFlinkFunctionField() throws Exception {
        var bos = new java.io.ByteArrayOutputStream();
        try (var out = new java.io.ObjectOutputStream(bos)) {
            codec.encode(MediaChunks.audio("session-0001", 1)); // initialised transient state must not travel
            out.writeObject(codec);
        }
        try (var in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bos.toByteArray()))) {
            @SuppressWarnings("unchecked")
            AvroCodec<MediaChunk> copy = (AvroCodec<MediaChunk>) in.readObject();
            MediaChunk chunk = MediaChunks.audio("session-0002", 3);
            assertThat(copy.decode(codec.encode(chunk))).isEqualTo(chunk);
        }
    }

    @Test
    void rejectsTrailingBytes() {
        byte[] bytes = codec.encode(MediaChunks.audio("session-0001", 1));
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 3);
        assertThatThrownBy(() -> codec.decode(longer))
                .isInstanceOf(MalformedRecordException.class)
                .hasMessageContaining("trailing");
    }

    @Test
    void rejectsTruncatedRecords() {
        byte[] bytes = codec.encode(MediaChunks.audio("session-0001", 1));
        assertThatThrownBy(() -> codec.decode(Arrays.copyOf(bytes, bytes.length - 10)))
                .isInstanceOf(MalformedRecordException.class);
    }

    @Test
    void rejectsAHugeLengthPrefixWithoutAllocatingIt() {
        // zig-zag varint for a string length of ~1 GiB, then nothing
        byte[] bytes = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08};
        assertThatThrownBy(() -> codec.decode(bytes))
                .isInstanceOf(MalformedRecordException.class)
                .hasMessageContaining("exceeds");
    }

    @Test
    void rejectsRandomGarbageAndTextAndEmptyInput() {
        Random random = new Random(1234);
        int rejected = 0;
        for (int i = 0; i < 500; i++) {
            byte[] garbage = new byte[1 + random.nextInt(200)];
            random.nextBytes(garbage);
            try {
                codec.decode(garbage);
            } catch (MalformedRecordException e) {
                rejected++;
            }
        }
        assertThat(rejected).isEqualTo(500);
        assertThatThrownBy(() -> codec.decode("{\"sessionId\":\"x\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(MalformedRecordException.class);
        assertThatThrownBy(() -> codec.decode(new byte[0])).isInstanceOf(MalformedRecordException.class);
    }

    @Test
    void kafkaDeserializerReportsGarbageAsSerializationException() {
        try (AvroDeserializer<MediaChunk> de = new AvroDeserializer<>(MediaChunk.class)) {
            assertThatThrownBy(() -> de.deserialize("omni.media.audio", new byte[] {1, 2, 3}))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageContaining("omni.media.audio");
        }
    }
}
