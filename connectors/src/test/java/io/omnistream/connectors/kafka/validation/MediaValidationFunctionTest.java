package io.omnistream.connectors.kafka.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MediaValidationFunctionTest {

    private static final MediaValidationConfig CONFIG = MediaValidationConfig.builder()
            .clockWindowMicros(2_000_000)
            .clockReanchorChunks(5)
            .sessionStateTtl(Duration.ofSeconds(60))
            .build();

    private KeyedOneInputStreamOperatorTestHarness<String, Decoded<MediaChunk>, MediaChunk> harness;
    private MediaValidationFunction function;
    private long offset;

    @BeforeEach
    void setUp() throws Exception {
        harness = newHarness();
        harness.open();
    }

    private KeyedOneInputStreamOperatorTestHarness<String, Decoded<MediaChunk>, MediaChunk> newHarness()
            throws Exception {
        function = new MediaValidationFunction(CONFIG);
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(function),
                MediaValidationFunction.sessionKey(), Types.STRING);
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

    // ---------------------------------------------------------------- re-anchoring after a clock jump

    private void camera(long seq, long captureMicros) throws Exception {
        feed(MediaChunks.camera("session-aaaa", seq, captureMicros, 100), OmniTopics.MEDIA_VIDEO);
    }

    private void audio(long seq, long captureMicros) throws Exception {
        feed(MediaChunk.newBuilder(MediaChunks.audio("session-aaaa", seq)).setCaptureTimeMicros(captureMicros).build(),
                OmniTopics.MEDIA_AUDIO);
    }

    private List<Long> passedSeqs() {
        return passed().stream().map(MediaChunk::getSeq).toList();
    }

    private List<Long> deadSeqs() {
        AvroCodec<MediaChunk> codec = AvroCodec.of(MediaChunk.class);
        return deadLetters().stream().map(d -> {
            assertThat(d.getReason()).isEqualTo(DeadLetterReason.CLOCK_OUT_OF_RANGE.name());
            return codec.decode(bytes(d.getValue())).getSeq();
        }).toList();
    }

    @Test
    void rejectsASingleFarFutureChunkWithoutMovingTheSessionClock() throws Exception {
        camera(0, 10_000_000);
        camera(1, 3_600_000_000L); // one wild timestamp, an hour ahead
        camera(2, 10_100_000);
        camera(3, 11_900_000); // within 2 s of 10.1 s: the outlier did not move the clock
        camera(4, 3_600_100_000L); // a second outlier later is still just an outlier
        camera(5, 12_000_000);

        assertThat(passedSeqs()).containsExactly(0L, 2L, 3L, 5L);
        assertThat(deadSeqs()).containsExactly(1L, 4L);
        assertThat(deadLetters().get(0).getDetail()).contains("forward jump 1/5");
        assertThat(function.clockReanchors()).isZero();
    }

    @Test
    void followsASustainedForwardJumpAfterReanchoring() throws Exception {
        for (int i = 0; i < 5; i++) {
            audio(i, 10_000_000L + i * 20_000L);
        }
        // the client comes back after a minute of sleep: audio and camera of the new timeline, slightly interleaved
        audio(10, 70_000_000);
        camera(11, 70_030_000);
        audio(12, 70_020_000);
        audio(13, 70_040_000);
        audio(14, 70_060_000); // the 5th consistent chunk: re-anchored, passes
        camera(15, 70_090_000);
        audio(16, 70_080_000);
        audio(4, 10_100_000); // a straggler of the old timeline is now behind the window

        assertThat(passedSeqs()).containsExactly(0L, 1L, 2L, 3L, 4L, 14L, 15L, 16L);
        assertThat(deadSeqs()).containsExactly(10L, 11L, 12L, 13L, 4L);
        assertThat(deadLetters()).extracting(DeadLetter::getDetail).element(3).asString().contains("forward jump 4/5");
        assertThat(function.clockReanchors()).isEqualTo(1);
    }

    @Test
    void aChunkOnTheCurrentTimelineBreaksAJumpInProgress() throws Exception {
        camera(0, 10_000_000);
        for (int i = 1; i <= 4; i++) {
            camera(i, 70_000_000L + i * 100_000L);
        }
        camera(5, 10_100_000); // the old timeline is still alive (two producers for one session)
        for (int i = 6; i <= 9; i++) {
            camera(i, 70_000_000L + i * 100_000L);
        }
        assertThat(function.clockReanchors()).isZero();
        camera(10, 71_000_000); // the 5th in a row
        assertThat(passedSeqs()).containsExactly(0L, 5L, 10L);
        assertThat(deadSeqs()).containsExactly(1L, 2L, 3L, 4L, 6L, 7L, 8L, 9L);
        assertThat(function.clockReanchors()).isEqualTo(1);
    }

    @Test
    void farFutureGarbageThatIsNotConsistentNeverReanchors() throws Exception {
        camera(0, 10_000_000);
        long[] garbage = {500_000_000L, 90_000_000L, 7_200_000_000L, 3_000_000_000L, 40_000_000L, 25_000_000L,
                900_000_000L, 60_000_000L, 30_000_000L, 86_400_000_000L, 120_000_000L, 20_000_000L};
        for (int i = 0; i < garbage.length; i++) {
            camera(i + 1, garbage[i]);
        }
        camera(99, 10_500_000);
        assertThat(passedSeqs()).containsExactly(0L, 99L);
        assertThat(deadLetters()).hasSize(garbage.length);
        assertThat(function.clockReanchors()).isZero();
    }

    @Test
    void rejectsBackwardsGarbageAndNeverReanchorsBackwards() throws Exception {
        camera(0, 60_000_000);
        for (int i = 1; i <= 20; i++) {
            camera(i, 1_000_000L + i * 20_000L); // consistent, monotonic, but a minute in the past
        }
        camera(21, 60_100_000);
        assertThat(passedSeqs()).containsExactly(0L, 21L);
        assertThat(deadLetters()).hasSize(20);
        assertThat(function.clockReanchors()).isZero();
    }

    @Test
    void backwardsChunkBreaksAJumpInProgress() throws Exception {
        camera(0, 60_000_000);
        for (int i = 1; i <= 4; i++) {
            camera(i, 120_000_000L + i * 20_000L);
        }
        camera(5, 1_000_000); // garbage behind the window
        camera(6, 120_100_000); // starts over: 1/5
        assertThat(passedSeqs()).containsExactly(0L);
        assertThat(deadLetters()).last().extracting(DeadLetter::getDetail).asString().contains("forward jump 1/5");
        assertThat(function.clockReanchors()).isZero();
    }

    @Test
    void jumpInProgressAndReanchoredClockSurviveSnapshotAndRestore() throws Exception {
        camera(0, 10_000_000);
        for (int i = 1; i <= 3; i++) {
            camera(i, 70_000_000L + i * 20_000L);
        }
        OperatorSubtaskState midJump = harness.snapshot(1L, 1L);
        harness.close();

        harness = newHarness();
        harness.initializeState(midJump);
        harness.open();
        camera(4, 70_080_000); // 4/5: the three before the restore still count
        camera(5, 70_100_000); // 5/5
        assertThat(passedSeqs()).containsExactly(5L);
        assertThat(function.clockReanchors()).isEqualTo(1);
        OperatorSubtaskState reanchored = harness.snapshot(2L, 2L);
        harness.close();

        harness = newHarness();
        harness.initializeState(reanchored);
        harness.open();
        camera(6, 10_200_000); // the old timeline: behind the restored anchor (a fresh state would accept it)
        camera(7, 70_120_000);
        assertThat(passedSeqs()).containsExactly(7L);
        assertThat(deadSeqs()).containsExactly(6L);
        assertThat(function.clockReanchors()).isZero(); // counters are per instance; the state is what survives
    }

    @Test
    void reanchoringNeedsAtLeastTwoChunks() {
        assertThatThrownBy(() -> MediaValidationConfig.builder().clockReanchorChunks(1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 2");
        assertThat(MediaValidationConfig.defaults().clockReanchorChunks()).isEqualTo(25);
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
