package io.omnistream.operators.align;

import static io.omnistream.operators.testutils.MediaChunks.audio;
import static io.omnistream.operators.testutils.MediaChunks.bytes;
import static io.omnistream.operators.testutils.MediaChunks.expectedPcm;
import static io.omnistream.operators.testutils.MediaChunks.picture;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.schemas.ControlType;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.MediaKind;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.SessionControl;
import io.omnistream.schemas.TrackInfo;
import io.omnistream.schemas.TrackState;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MediaAlignerTest {
    private static final String S = "session-aaaa";
    private static final long O = 1_700_000_000_000_000L; // session clock origin, micros
    private static final long O_MS = O / 1000;

    private KeyedTwoInputStreamOperatorTestHarness<String, MediaChunk, SessionControl, PerceptionFrame> harness;

    /** Most tests pin down the event-time semantics: every tick waits for the watermark. */
    private static AlignConfig eventTime() {
        AlignConfig config = new AlignConfig();
        config.emitWhenAudioComplete = false;
        return config;
    }

    @BeforeEach
    void setUp() throws Exception {
        harness = newHarness(eventTime());
        harness.open();
    }

    private void useFastPath() throws Exception {
        harness.close();
        harness = newHarness(new AlignConfig());
        harness.open();
    }

    @AfterEach
    void tearDown() throws Exception {
        harness.close();
    }

    private static KeyedTwoInputStreamOperatorTestHarness<String, MediaChunk, SessionControl, PerceptionFrame> newHarness(
            AlignConfig config) throws Exception {
        return new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new MediaAligner(config)),
                MediaChunk::getSessionId, SessionControl::getSessionId, Types.STRING);
    }

    private void send(MediaChunk chunk) throws Exception {
        harness.processElement1(chunk, chunk.getCaptureTimeMicros() / 1000);
    }

    private void watermark(long ms) throws Exception {
        harness.processBothWatermarks(new Watermark(ms));
    }

    /** Watermark at which tick k is complete. */
    private static long tickDone(long k) {
        return O_MS + 40 * (k + 1) - 1;
    }

    private List<PerceptionFrame> frames() {
        return harness.extractOutputValues();
    }

    private static byte[] tickAudio(int sessionNo, long tick) {
        return expectedPcm(sessionNo, tick * 640, (tick + 1) * 640, -1, -1);
    }

    @Test
    void emitsFrameWhenWatermarkPassesTickEnd() throws Exception {
        for (int seq = 0; seq < 4; seq++) {
            send(audio(S, 0, O, seq, O + seq * 20_000 + 25_000));
        }
        watermark(tickDone(0) - 1);
        assertThat(frames()).isEmpty();

        watermark(tickDone(0));
        assertThat(frames()).hasSize(1);
        watermark(tickDone(1));

        List<PerceptionFrame> frames = frames();
        assertThat(frames).hasSize(2);
        for (int k = 0; k < 2; k++) {
            PerceptionFrame f = frames.get(k);
            assertThat(f.getSessionId()).isEqualTo(S);
            assertThat(f.getTickIndex()).isEqualTo(k);
            assertThat(f.getTickStartMicros()).isEqualTo(O + k * 40_000L);
            assertThat(f.getTickEndMicros()).isEqualTo(O + (k + 1) * 40_000L);
            assertThat(bytes(f.getAudio())).isEqualTo(tickAudio(0, k));
            assertThat(f.getAudioGapSamples()).isZero();
            assertThat(f.getCameraState()).isEqualTo(TrackState.MISSING);
            assertThat(f.getCamera()).isNull();
        }
        assertThat(frames.get(1).getMaxArrivalTimeMicros()).isEqualTo(O + 3 * 20_000 + 25_000);
    }

    @Test
    void putsOutOfOrderChunksWithinTheBoundInTheRightFrame() throws Exception {
        send(audio(S, 0, O, 1, O + 50_000));
        send(audio(S, 0, O, 3, O + 90_000));
        send(audio(S, 0, O, 0, O + 95_000));
        send(audio(S, 0, O, 2, O + 96_000));
        watermark(tickDone(1));

        assertThat(frames()).extracting(f -> bytes(f.getAudio())).containsExactly(tickAudio(0, 0), tickAudio(0, 1));
        assertThat(frames()).allSatisfy(f -> assertThat(f.getAudioGapSamples()).isZero());
    }

    @Test
    void sendsChunkArrivingAfterItsFrameToLateOutputWithoutChangingTheFrame() throws Exception {
        send(audio(S, 0, O, 0, O + 20_000));
        send(audio(S, 0, O, 2, O + 60_000));
        send(audio(S, 0, O, 3, O + 80_000));
        watermark(tickDone(0));
        PerceptionFrame first = frames().get(0);
        assertThat(first.getAudioGapSamples()).isEqualTo(320);

        send(audio(S, 0, O, 1, O + 200_000)); // belongs to tick 0, which is gone
        watermark(tickDone(1));

        assertThat(frames()).hasSize(2);
        assertThat(bytes(frames().get(0).getAudio())).isEqualTo(expectedPcm(0, 0, 640, 320, 640));
        assertThat(frames().get(1).getLateChunks()).isEqualTo(1);
        assertThat(bytes(frames().get(1).getAudio())).isEqualTo(tickAudio(0, 1));
        assertThat(harness.getSideOutput(MediaAligner.LATE_MEDIA))
                .extracting(StreamRecord::getValue).extracting(MediaChunk::getSeq).containsExactly(1L);
    }

    @Test
    void dropsDuplicateSequenceNumbersAndReportsThem() throws Exception {
        send(audio(S, 0, O, 0, O + 20_000));
        send(audio(S, 0, O, 1, O + 40_000));
        send(audio(S, 0, O, 1, O + 41_000));
        send(audio(S, 0, O, 0, O + 42_000));
        watermark(tickDone(0));

        assertThat(frames()).hasSize(1);
        assertThat(bytes(frames().get(0).getAudio())).isEqualTo(tickAudio(0, 0));
        assertThat(frames().get(0).getDuplicateChunks()).isEqualTo(2);
    }

    @Test
    void zeroFillsAndFlagsAnAudioGap() throws Exception {
        for (int seq : new int[] {0, 1, 2, 5, 6, 7}) {
            send(audio(S, 0, O, seq, O + seq * 20_000 + 20_000));
        }
        watermark(tickDone(3));

        List<PerceptionFrame> frames = frames();
        assertThat(frames).extracting(PerceptionFrame::getTickIndex).containsExactly(0L, 1L, 2L, 3L);
        assertThat(frames).extracting(PerceptionFrame::getAudioGapSamples).containsExactly(0, 320, 320, 0);
        assertThat(bytes(frames.get(1).getAudio())).isEqualTo(expectedPcm(0, 640, 1280, 960, 1600));
        assertThat(bytes(frames.get(2).getAudio())).isEqualTo(expectedPcm(0, 1280, 1920, 960, 1600));
    }

    @Test
    void keepsEmittingFramesWhenTheCameraStopsAndFlagsItStaleThenEnded() throws Exception {
        for (int seq = 0; seq < 40; seq++) { // 800 ms of audio
            send(audio(S, 0, O, seq, O + seq * 20_000 + 20_000));
        }
        send(picture(S, MediaKind.CAMERA, 0, O + 10_000, O + 15_000));
        send(picture(S, MediaKind.CAMERA, 1, O + 76_000, O + 80_000));
        watermark(tickDone(19));

        List<PerceptionFrame> frames = frames();
        assertThat(frames).hasSize(20);
        assertThat(frames.get(0).getCamera().getSeq()).isZero();
        assertThat(frames.get(1).getCamera().getSeq()).isEqualTo(1);
        // picture 1 was taken at 76 ms: 484 ms old at the end of tick 13, 524 ms at the end of tick 14
        assertThat(frames.get(13).getCameraState()).isEqualTo(TrackState.OK);
        assertThat(frames.get(14).getCameraState()).isEqualTo(TrackState.STALE);
        assertThat(frames.get(14).getCamera().getSeq()).isEqualTo(1);

        harness.processElement2(control(ControlType.TRACKS_CHANGED, List.of(track(MediaKind.AUDIO))), O_MS + 800);
        for (int seq = 40; seq < 44; seq++) {
            send(audio(S, 0, O, seq, O + seq * 20_000 + 20_000));
        }
        watermark(tickDone(21));
        assertThat(frames().get(21).getCameraState()).isEqualTo(TrackState.ENDED);
        assertThat(frames().get(21).getCamera()).isNull();
    }

    @Test
    void estimatesAConstantVideoClockOffsetAndCorrectsPictureTimes() throws Exception {
        long videoAhead = 120_000; // the camera clock runs 120 ms ahead of the audio clock
        for (int seq = 0; seq < 50; seq++) {
            send(audio(S, 0, O, seq, O + seq * 20_000 + 20_000 + 3_000)); // 3 ms transport after the chunk is complete
        }
        for (int i = 0; i < 15; i++) {
            long trueTime = O + i * 66_000L;
            send(picture(S, MediaKind.CAMERA, i, trueTime + videoAhead, trueTime + 3_000));
        }
        watermark(tickDone(24));

        PerceptionFrame last = frames().get(24);
        assertThat(last.getAvOffsetMicros()).isEqualTo(videoAhead);
        // tick 24 ends at 1000 ms: the newest true picture time before it is 924 ms (i = 14)
        assertThat(last.getCamera().getSeq()).isEqualTo(14);
        assertThat(last.getCamera().getCaptureTimeMicros()).isEqualTo(O + 14 * 66_000L);
    }

    @Test
    void putsTheScreenPictureInAFrameOnlyWhenItChanged() throws Exception {
        for (int seq = 0; seq < 8; seq++) {
            send(audio(S, 0, O, seq, O + seq * 20_000 + 20_000));
        }
        send(picture(S, MediaKind.SCREEN, 0, O + 5_000, O + 9_000));
        send(picture(S, MediaKind.SCREEN, 1, O + 100_000, O + 109_000));
        watermark(tickDone(3));

        assertThat(frames()).extracting(PerceptionFrame::getScreenChanged).containsExactly(true, false, true, false);
        assertThat(frames()).extracting(f -> f.getScreen() == null ? -1L : f.getScreen().getSeq()).containsExactly(0L, -1L, 1L, -1L);
        assertThat(frames()).allSatisfy(f -> assertThat(f.getScreenState()).isEqualTo(TrackState.OK));
    }

    @Test
    void acceptsAChunkOlderThanTheFirstOneSeenBeforeTheFirstFrame() throws Exception {
        send(audio(S, 0, O, 2, O + 60_000)); // the session's first chunk to arrive is its third
        send(audio(S, 0, O, 3, O + 80_000));
        send(audio(S, 0, O, 0, O + 81_000));
        send(audio(S, 0, O, 1, O + 82_000));
        watermark(tickDone(1));

        List<PerceptionFrame> frames = frames();
        assertThat(frames).extracting(PerceptionFrame::getTickStartMicros).containsExactly(O, O + 40_000);
        assertThat(frames).extracting(f -> bytes(f.getAudio())).containsExactly(tickAudio(0, 0), tickAudio(0, 1));
        assertThat(frames).extracting(PerceptionFrame::getTickIndex).containsExactly(0L, 1L);
    }

    @Test
    void splitsAChunkThatStraddlesTwoTicks() throws Exception {
        long origin = O + 10_000; // the session clock starts 10 ms into a tick
        for (int seq = 0; seq < 4; seq++) {
            send(audio(S, 0, origin, seq, origin + seq * 20_000 + 20_000));
        }
        watermark(O_MS + 119);

        List<PerceptionFrame> frames = frames();
        assertThat(frames).extracting(PerceptionFrame::getTickStartMicros).containsExactly(O, O + 40_000, O + 80_000);
        assertThat(bytes(frames.get(0).getAudio())).isEqualTo(concat(new byte[320], expectedPcm(0, 0, 480, -1, -1)));
        assertThat(bytes(frames.get(1).getAudio())).isEqualTo(expectedPcm(0, 480, 1120, -1, -1));
        assertThat(bytes(frames.get(2).getAudio())).isEqualTo(concat(expectedPcm(0, 1120, 1280, -1, -1), new byte[960]));
        assertThat(frames).extracting(PerceptionFrame::getAudioGapSamples).containsExactly(160, 0, 480);
    }

    @Test
    void flushesAndClearsStateWhenTheSessionEnds() throws Exception {
        for (int seq = 0; seq < 4; seq++) {
            send(audio(S, 0, O, seq, O + seq * 20_000 + 20_000));
        }
        assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
        harness.processElement2(control(ControlType.ENDED, List.of()), O_MS + 100);

        assertThat(frames()).hasSize(2);
        assertThat(harness.numKeyedStateEntries()).isZero();
        watermark(tickDone(5)); // timers of the ended session find no state and emit nothing
        assertThat(frames()).hasSize(2);
    }

    @Test
    void dropsAnAbandonedSessionAfterTheTimeout() throws Exception {
        harness.setProcessingTime(1_000);
        send(audio(S, 0, O, 0, O + 20_000));
        watermark(O_MS + Duration.ofSeconds(31).toMillis()); // the media moved on (other sessions, or all idle)
        harness.setProcessingTime(1_000 + Duration.ofSeconds(29).toMillis());
        assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
        harness.setProcessingTime(1_000 + Duration.ofSeconds(32).toMillis());
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(frames()).hasSize(1); // its tick, flushed by the watermark with the half that came
    }

    @Test
    void aSessionIsKeptWhileTheWatermarkHasNotPassedItsDataHoweverLongTheWallClockRan() throws Exception {
        harness.setProcessingTime(1_000);
        send(audio(S, 0, O, 0, O + 20_000));
        harness.setProcessingTime(1_000 + Duration.ofMinutes(5).toMillis()); // the job lags: its backlog is on its way
        assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
        send(audio(S, 0, O, 1, O + 40_000));
        watermark(tickDone(0));
        assertThat(frames()).hasSize(1);
        assertThat(frames().get(0).getAudioGapSamples()).isZero();
    }

    /** A checkpoint of one session with the first chunk of tick 0, restored into a new operator at {@code restoredAtMillis}. */
    private void restoreAfterOutage(long restoredAtMillis) throws Exception {
        harness.setProcessingTime(1_000);
        send(audio(S, 0, O, 0, O + 20_000));
        restoreFromASnapshot();
        harness.setProcessingTime(restoredAtMillis); // the restored abandonment timer is long due and fires now
    }

    /** Snapshots the operator and continues in a new one restored from it (a failover). */
    private void restoreFromASnapshot() throws Exception {
        OperatorSubtaskState snapshot = harness.snapshot(1, 1);
        harness.close();
        harness = newHarness(eventTime());
        harness.setup();
        harness.initializeState(snapshot);
        harness.open();
    }

    @Test
    void aRestoreAfterAnOutageLongerThanTheAbandonTimeoutKeepsTheTickInProgress() throws Exception {
        restoreAfterOutage(1_000 + Duration.ofSeconds(60).toMillis());
        assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
        send(audio(S, 0, O, 1, O + 40_000)); // replayed from the source
        watermark(tickDone(0));

        assertThat(frames()).hasSize(1);
        assertThat(frames().get(0).getAudioGapSamples()).isZero();
        assertThat(bytes(frames().get(0).getAudio())).isEqualTo(tickAudio(0, 0));
    }

    @Test
    void aRestoredSessionIsAbandonedOnlyOnceTheTimeoutPassedSinceTheRestoreAndTheWatermarkPassedItsData() throws Exception {
        long restoredAt = 1_000 + Duration.ofSeconds(60).toMillis();
        restoreAfterOutage(restoredAt);
        harness.setProcessingTime(restoredAt + Duration.ofSeconds(29).toMillis());
        assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
        harness.setProcessingTime(restoredAt + Duration.ofSeconds(32).toMillis());
        assertThat(harness.numKeyedStateEntries()).as("the watermark has not passed its data yet").isEqualTo(1);
        watermark(O_MS + Duration.ofSeconds(31).toMillis());
        harness.setProcessingTime(restoredAt + Duration.ofSeconds(35).toMillis());
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void alignsSessionsIndependently() throws Exception {
        String other = "session-bbbb";
        long otherOrigin = O + 120_000;
        for (int seq = 0; seq < 4; seq++) {
            send(audio(S, 0, O, seq, O + seq * 20_000 + 20_000));
            send(audio(other, 1, otherOrigin, seq, otherOrigin + seq * 20_000 + 20_000));
        }
        watermark(O_MS + 300);

        var bySession = frames().stream().collect(Collectors.groupingBy(PerceptionFrame::getSessionId));
        assertThat(bySession.get(S)).extracting(f -> bytes(f.getAudio())).containsExactly(tickAudio(0, 0), tickAudio(0, 1));
        assertThat(bySession.get(other)).extracting(f -> bytes(f.getAudio())).containsExactly(tickAudio(1, 0), tickAudio(1, 1));
        assertThat(bySession.get(other).get(0).getTickStartMicros()).isEqualTo(otherOrigin);
    }

    @Test
    void resumesFromASnapshotWithPendingAudio() throws Exception {
        send(audio(S, 0, O, 0, O + 20_000));
        send(audio(S, 0, O, 1, O + 40_000));
        send(audio(S, 0, O, 2, O + 60_000));
        watermark(tickDone(0));
        restoreFromASnapshot();
        send(audio(S, 0, O, 3, O + 80_000));
        watermark(tickDone(1));

        assertThat(frames()).hasSize(1);
        assertThat(frames().get(0).getTickIndex()).isEqualTo(1);
        assertThat(bytes(frames().get(0).getAudio())).isEqualTo(tickAudio(0, 1));
    }

    @Test
    void fastPathEmitsATickAsSoonAsItsAudioIsCompleteWithoutAWatermark() throws Exception {
        useFastPath();
        send(audio(S, 0, O, 1, O + 40_000));
        assertThat(frames()).isEmpty();
        send(picture(S, MediaKind.CAMERA, 0, O + 30_000, O + 35_000));
        send(audio(S, 0, O, 0, O + 41_000)); // completes tick 0
        assertThat(frames()).hasSize(1);
        assertThat(bytes(frames().get(0).getAudio())).isEqualTo(tickAudio(0, 0));
        assertThat(frames().get(0).getCamera().getSeq()).isZero();

        send(audio(S, 0, O, 2, O + 60_000));
        send(picture(S, MediaKind.CAMERA, 1, O + 70_000, O + 75_000));
        send(audio(S, 0, O, 3, O + 80_000));
        assertThat(frames()).hasSize(2);
        assertThat(frames().get(1).getCamera().getSeq()).isEqualTo(1);
    }

    @Test
    void fastPathEmitsATickWithAHoleOnceTheSessionsAudioIsPastTheBound() throws Exception {
        useFastPath();
        send(audio(S, 0, O, 0, O + 20_000));
        send(audio(S, 0, O, 2, O + 60_000)); // chunk 1 is lost
        send(audio(S, 0, O, 3, O + 80_000));
        assertThat(frames()).isEmpty(); // newest audio starts at 60 ms: tick 0 (ends 40 ms) may still be completed
        send(audio(S, 0, O, 4, O + 100_000)); // starts at 80 ms = tick end + 40 ms bound
        assertThat(frames()).hasSize(2);
        assertThat(frames().get(0).getAudioGapSamples()).isEqualTo(320);
        assertThat(bytes(frames().get(1).getAudio())).isEqualTo(tickAudio(0, 1));

        send(audio(S, 0, O, 1, O + 120_000)); // too late now
        assertThat(harness.getSideOutput(MediaAligner.LATE_MEDIA)).hasSize(1);
        assertThat(frames()).hasSize(2);
    }

    @Test
    void fastPathLeavesAStalledSessionToTheWatermarkAfterTheStallTimeout() throws Exception {
        useFastPath();
        send(audio(S, 0, O, 0, O + 20_000)); // the audio stops after one chunk
        watermark(tickDone(0) + 499); // other sessions are half a second ahead: this one may only lag
        assertThat(frames()).isEmpty();
        watermark(tickDone(0) + 500);
        assertThat(frames()).hasSize(1);
        assertThat(frames().get(0).getAudioGapSamples()).isEqualTo(320);
    }

    @Test
    void fastPathDoesNotCutALaggingSessionIntoHoles() throws Exception {
        useFastPath();
        send(audio(S, 0, O, 0, O + 20_000));
        watermark(tickDone(0) + 200); // the job-wide watermark is 200 ms ahead of this session
        send(audio(S, 0, O, 1, O + 240_000)); // its next chunk arrives late, but not stalled
        assertThat(frames()).hasSize(1);
        assertThat(frames().get(0).getAudioGapSamples()).isZero();
        assertThat(harness.getSideOutput(MediaAligner.LATE_MEDIA)).isNullOrEmpty();
    }

    @Test
    void rejectsTicksOutsideTwentyToEightyMilliseconds() {
        AlignConfig config = new AlignConfig();
        config.tick = Duration.ofMillis(100);
        org.assertj.core.api.Assertions.assertThatThrownBy(config::validate).isInstanceOf(IllegalArgumentException.class);
        config.tick = Duration.ofMillis(80);
        assertThat(config.validate().samplesPerTick()).isEqualTo(1280);
    }

    private static SessionControl control(ControlType type, List<TrackInfo> tracks) {
        return SessionControl.newBuilder().setSessionId(S).setType(type).setEdgeId("edge-1")
                .setTracks(tracks).setTimeMicros(O).build();
    }

    private static TrackInfo track(MediaKind kind) {
        return TrackInfo.newBuilder().setTrackId(kind.name()).setKind(kind).setEnabled(true).build();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
