package io.omnistream.connectors.kafka.validation;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.connectors.kafka.dlq.DeadLetterReason;
import io.omnistream.connectors.kafka.dlq.DeadLetterSplitter;
import io.omnistream.connectors.kafka.dlq.DeadLetters;
import io.omnistream.connectors.kafka.serde.AvroCodec;
import io.omnistream.connectors.kafka.serde.Decoded;
import io.omnistream.connectors.testutils.MediaChunks;
import io.omnistream.schemas.DeadLetter;
import io.omnistream.schemas.MediaChunk;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MediaValidationFunctionTest {

    private static final MediaValidationConfig CONFIG = MediaValidationConfig.builder()
            .clockWindowMicros(2_000_000)
            .sessionStateTtl(Duration.ofSeconds(60))
            .build();

    private KeyedOneInputStreamOperatorTestHarness<String, Decoded<MediaChunk>, MediaChunk> harness;
    private long offset;

    @BeforeEach
    void setUp() throws Exception {
        harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new MediaValidationFunction(CONFIG)),
                MediaValidationFunction.sessionKey(), Types.STRING);
        harness.open();
    }

    @AfterEach
    void tearDown() throws Exception {
        harness.close();
    }

    private void feed(MediaChunk chunk, String topic) throws Exception {
        harness.processElement(new StreamRecord<>(Decoded.ok(chunk, topic, 0, offset++), 0L));
    }

    private List<MediaChunk> passed() {
        return harness.extractOutputValues();
    }

    private List<DeadLetter> deadLetters() {
        return harness.getSideOutput(DeadLetterSplitter.DEAD_LETTERS) == null ? List.of()
                : harness.getSideOutput(DeadLetterSplitter.DEAD_LETTERS).stream()
                        .map(StreamRecord::getValue).collect(Collectors.toList());
    }

    @Test
    void passesValidChunksOfSeveralSessions() throws Exception {
        feed(MediaChunks.audio("session-aaaa", 0), OmniTopics.MEDIA_AUDIO);
        feed(MediaChunks.audio("session-bbbb", 0), OmniTopics.MEDIA_AUDIO);
        feed(MediaChunks.audio("session-aaaa", 1), OmniTopics.MEDIA_AUDIO);
        assertThat(passed()).extracting(MediaChunk::getSessionId)
                .containsExactly("session-aaaa", "session-bbbb", "session-aaaa");
        assertThat(deadLetters()).isEmpty();
    }

    @Test
    void sendsChunksFarFromTheirSessionClockToTheDeadLetters() throws Exception {
        feed(MediaChunks.camera("session-aaaa", 0, 10_000_000, 100), OmniTopics.MEDIA_VIDEO);
        // 3 s ahead of this session's clock: rejected
        feed(MediaChunks.camera("session-aaaa", 1, 13_000_000, 100), OmniTopics.MEDIA_VIDEO);
        // another session has its own clock: accepted
        feed(MediaChunks.camera("session-bbbb", 0, 13_000_000, 100), OmniTopics.MEDIA_VIDEO);
        // 1.5 s behind: within the window, accepted
        feed(MediaChunks.camera("session-aaaa", 2, 8_500_000, 100), OmniTopics.MEDIA_VIDEO);
        // the rejected chunk did not move the clock: 11.9 s is within 2 s of 10 s
        feed(MediaChunks.camera("session-aaaa", 3, 11_900_000, 100), OmniTopics.MEDIA_VIDEO);

        assertThat(passed()).extracting(MediaChunk::getSeq).containsExactly(0L, 0L, 2L, 3L);
        List<DeadLetter> dead = deadLetters();
        assertThat(dead).hasSize(1);
        DeadLetter dl = dead.get(0);
        assertThat(dl.getReason()).isEqualTo(DeadLetterReason.CLOCK_OUT_OF_RANGE.name());
        assertThat(dl.getSourceTopic()).isEqualTo(OmniTopics.MEDIA_VIDEO);
        assertThat(dl.getOffset()).isEqualTo(1L);
        assertThat(dl.getKey()).isEqualTo(ByteBuffer.wrap("session-aaaa".getBytes(StandardCharsets.UTF_8)));
        assertThat(AvroCodec.of(MediaChunk.class).decode(bytes(dl.getValue())).getSeq()).isEqualTo(1L);
    }

    @Test
    void sessionClockStateExpiresAfterTheTtl() throws Exception {
        harness.setStateTtlProcessingTime(0);
        feed(MediaChunks.camera("session-aaaa", 0, 10_000_000, 100), OmniTopics.MEDIA_VIDEO);
        harness.setStateTtlProcessingTime(Duration.ofSeconds(61).toMillis());
        // far from the old clock, but the session's state has expired: accepted as a fresh start
        feed(MediaChunks.camera("session-aaaa", 1, 100_000_000, 100), OmniTopics.MEDIA_VIDEO);
        assertThat(passed()).hasSize(2);
        assertThat(deadLetters()).isEmpty();
    }

    @Test
    void forwardsUndecodableRecordsAndStatelessViolationsWithTheirReason() throws Exception {
        harness.processElement(new StreamRecord<>(Decoded.dead(DeadLetters.of(OmniTopics.MEDIA_AUDIO, 0, 5, null,
                new byte[] {1}, DeadLetterReason.MALFORMED_RECORD, "garbage")), 0L));
        feed(MediaChunks.audio("bad id", 0), OmniTopics.MEDIA_AUDIO);
        feed(MediaChunk.newBuilder(MediaChunks.audio("session-aaaa", 0)).setSampleRate(8_000).build(),
                OmniTopics.MEDIA_AUDIO);
        feed(MediaChunks.camera("session-aaaa", 0, 0, 0), OmniTopics.MEDIA_VIDEO);
        assertThat(passed()).isEmpty();
        assertThat(deadLetters()).extracting(DeadLetter::getReason).containsExactly(
                DeadLetterReason.MALFORMED_RECORD.name(), DeadLetterReason.INVALID_SESSION_ID.name(),
                DeadLetterReason.WRONG_AUDIO_FORMAT.name(), DeadLetterReason.EMPTY_PAYLOAD.name());
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
