package io.omnistream.connectors.kafka.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.connectors.kafka.dlq.DeadLetterReason;
import io.omnistream.connectors.testutils.MediaChunks;
import io.omnistream.schemas.MediaChunk;
import java.nio.ByteBuffer;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MediaChunkValidatorTest {

    private final MediaChunkValidator validator = new MediaChunkValidator(MediaValidationConfig.defaults());

    private Optional<DeadLetterReason> reasonOf(MediaChunk chunk) {
        return validator.validate(chunk, null).map(Violation::reason);
    }

    @Test
    void acceptsChunksAsTheEdgeProducesThem() {
        assertThat(validator.validate(MediaChunks.audio("session-0001", 0), OmniTopics.MEDIA_AUDIO)).isEmpty();
        assertThat(validator.validate(MediaChunks.camera("session-0001", 0, 0, 20_000), OmniTopics.MEDIA_VIDEO))
                .isEmpty();
        assertThat(validator.validate(MediaChunks.screen("session-0001", 0, 0, 200_000), OmniTopics.MEDIA_SCREEN))
                .isEmpty();
    }

    @Test
    void rejectsSessionIdsThatDoNotMatchTheFormat() {
        assertThat(reasonOf(MediaChunks.audio("short", 0))).contains(DeadLetterReason.INVALID_SESSION_ID);
        assertThat(reasonOf(MediaChunks.audio("has spaces in it", 0))).contains(DeadLetterReason.INVALID_SESSION_ID);
        assertThat(reasonOf(MediaChunks.audio("x".repeat(65), 0))).contains(DeadLetterReason.INVALID_SESSION_ID);
        assertThat(reasonOf(MediaChunks.audio("../../etc/passwd", 0))).contains(DeadLetterReason.INVALID_SESSION_ID);
        assertThat(reasonOf(MediaChunks.audio("Session_id-0123456789", 0))).isEmpty();
    }

    @Test
    void sessionIdFormatIsConfigurable() {
        MediaChunkValidator numeric = new MediaChunkValidator(
                MediaValidationConfig.builder().sessionIdPattern("^[0-9]{4}$").build());
        assertThat(numeric.validate(MediaChunks.audio("1234", 0), null)).isEmpty();
        assertThat(numeric.validate(MediaChunks.audio("session-0001", 0), null).map(Violation::reason))
                .contains(DeadLetterReason.INVALID_SESSION_ID);
    }

    @Test
    void rejectsNegativeSequenceSizesAndRates() {
        MediaChunk base = MediaChunks.audio("session-0001", 5);
        assertThat(reasonOf(MediaChunk.newBuilder(base).setSeq(-1).build()))
                .contains(DeadLetterReason.NEGATIVE_FIELD);
        assertThat(reasonOf(MediaChunk.newBuilder(base).setSampleRate(-16_000).build()))
                .contains(DeadLetterReason.NEGATIVE_FIELD);
        assertThat(reasonOf(MediaChunk.newBuilder(base).setDurationMicros(-20_000).build()))
                .contains(DeadLetterReason.NEGATIVE_FIELD);
        MediaChunk cam = MediaChunks.camera("session-0001", 0, 0, 1000);
        assertThat(reasonOf(MediaChunk.newBuilder(cam).setWidth(-640).build()))
                .contains(DeadLetterReason.NEGATIVE_FIELD);
        assertThat(reasonOf(MediaChunk.newBuilder(cam).setHeight(-1).build()))
                .contains(DeadLetterReason.NEGATIVE_FIELD);
    }

    @Test
    void rejectsEmptyPayloads() {
        assertThat(reasonOf(MediaChunks.camera("session-0001", 0, 0, 0))).contains(DeadLetterReason.EMPTY_PAYLOAD);
        assertThat(reasonOf(MediaChunk.newBuilder(MediaChunks.audio("session-0001", 0))
                .setPayload(ByteBuffer.allocate(0)).build())).contains(DeadLetterReason.EMPTY_PAYLOAD);
    }

    @Test
    void rejectsPayloadsOverThePerKindLimit() {
        MediaValidationConfig config = MediaValidationConfig.builder()
                .maxVideoPayloadBytes(1000).maxScreenPayloadBytes(5000).build();
        MediaChunkValidator v = new MediaChunkValidator(config);
        assertThat(v.validate(MediaChunks.camera("session-0001", 0, 0, 1000), null)).isEmpty();
        assertThat(v.validate(MediaChunks.camera("session-0001", 0, 0, 1001), null).map(Violation::reason))
                .contains(DeadLetterReason.PAYLOAD_TOO_LARGE);
        assertThat(v.validate(MediaChunks.screen("session-0001", 0, 0, 4000), null)).isEmpty();
        assertThat(v.validate(MediaChunks.screen("session-0001", 0, 0, 5001), null).map(Violation::reason))
                .contains(DeadLetterReason.PAYLOAD_TOO_LARGE);
        MediaChunk hugeAudio = MediaChunk.newBuilder(MediaChunks.audio("session-0001", 0))
                .setPayload(ByteBuffer.allocate(MediaValidationConfig.defaults().maxAudioPayloadBytes() + 1)).build();
        assertThat(reasonOf(hugeAudio)).contains(DeadLetterReason.PAYLOAD_TOO_LARGE);
    }

    @Test
    void rejectsAudioThatIsNotPcm16TwentyMillisecondsAtSixteenKilohertz() {
        MediaChunk base = MediaChunks.audio("session-0001", 0);
        // 48 kHz: 20 ms would be 1920 bytes
        assertThat(reasonOf(MediaChunk.newBuilder(base).setSampleRate(48_000)
                .setPayload(ByteBuffer.allocate(1920)).build())).contains(DeadLetterReason.WRONG_AUDIO_FORMAT);
        // right rate, labelled 16 kHz but 8 kHz worth of bytes
        assertThat(reasonOf(MediaChunk.newBuilder(base).setPayload(ByteBuffer.allocate(320)).build()))
                .contains(DeadLetterReason.WRONG_AUDIO_FORMAT);
        // 10 ms chunk
        assertThat(reasonOf(MediaChunk.newBuilder(base).setDurationMicros(10_000).build()))
                .contains(DeadLetterReason.WRONG_AUDIO_FORMAT);
        // odd byte count
        assertThat(reasonOf(MediaChunk.newBuilder(base).setPayload(ByteBuffer.allocate(641)).build()))
                .contains(DeadLetterReason.WRONG_AUDIO_FORMAT);
    }

    @Test
    void rejectsANegativeCaptureTime() {
        assertThat(reasonOf(MediaChunks.camera("session-0001", 0, -1, 100)))
                .contains(DeadLetterReason.CLOCK_OUT_OF_RANGE);
    }

    @Test
    void rejectsAChunkOfTheWrongKindForItsTopic() {
        assertThat(validator.validate(MediaChunks.audio("session-0001", 0), OmniTopics.MEDIA_VIDEO)
                .map(Violation::reason)).contains(DeadLetterReason.KIND_TOPIC_MISMATCH);
    }

    @Test
    void clockRuleAcceptsTheFirstChunkAndChunksWithinTheWindowOnly() {
        MediaValidationConfig config = MediaValidationConfig.builder().clockWindowMicros(1_000_000).build();
        MediaChunkValidator v = new MediaChunkValidator(config);
        MediaChunk at = MediaChunks.camera("session-0001", 0, 5_000_000, 100);
        assertThat(v.checkClock(at, null)).isEmpty();
        assertThat(v.checkClock(at, 4_000_000L)).isEmpty();
        assertThat(v.checkClock(at, 6_000_000L)).isEmpty();
        assertThat(v.checkClock(at, 3_999_999L).map(Violation::reason)).contains(DeadLetterReason.CLOCK_OUT_OF_RANGE);
        assertThat(v.checkClock(at, 6_000_001L).map(Violation::reason)).contains(DeadLetterReason.CLOCK_OUT_OF_RANGE);
    }

    @Test
    void configRejectsNonsense() {
        assertThatThrownBy(() -> MediaValidationConfig.builder().maxAudioPayloadBytes(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MediaValidationConfig.builder().sessionIdPattern("([").build())
                .isInstanceOf(java.util.regex.PatternSyntaxException.class);
        assertThat(MediaValidationConfig.defaults().audioChunkBytes()).isEqualTo(640);
    }
}
