package io.omnistream.operators.perception;

import static io.omnistream.operators.perception.PerceptionTestData.LIBRIVOX_0880;
import static io.omnistream.operators.perception.PerceptionTestData.astronaut;
import static io.omnistream.operators.perception.PerceptionTestData.face;
import static io.omnistream.operators.perception.PerceptionTestData.frame;
import static io.omnistream.operators.perception.PerceptionTestData.readWav;
import static io.omnistream.operators.perception.PerceptionTestData.tickRms;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.fusion.FusedFrame;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.TrackState;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The perception operator on a real recording and a face whose mouth follows it, in Flink's operator harness. */
class PerceptionFunctionTest {
    private static final int TICK = 640;
    private static final int LEAD_TICKS = 25;
    private static List<PerceptionFrame> frames;
    private static int speechTicks;

    @BeforeAll
    static void buildFrames() throws Exception {
        short[] speech = readWav(LIBRIVOX_0880);
        short[] all = PerceptionTestData.withSilence(speech, LEAD_TICKS * TICK, 25 * TICK);
        speechTicks = speech.length / TICK;
        double[] rms = tickRms(all, TICK);
        double peak = Arrays.stream(rms).max().orElse(1);
        Mat base = astronaut();
        byte[][] levels = new byte[9][];
        for (int i = 0; i < levels.length; i++) {
            levels[i] = face(base, i / 8.0);
        }
        frames = new ArrayList<>();
        long seq = -1;
        byte[] picture = null;
        for (int t = 0; t < rms.length; t++) {
            long pictureSeq = t * 40 / 67; // 15 fps camera
            if (pictureSeq != seq) {
                seq = pictureSeq;
                double open = Math.min(1, Math.sqrt(rms[t] / peak) * 1.3);
                picture = levels[(int) Math.round(open * 8)];
            }
            frames.add(frame("s1", t, all, TICK, picture, seq));
        }
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, PerceptionFrame, FusedFrame> harness(PerceptionFunction fn) throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(fn), PerceptionFrame::getSessionId, Types.STRING);
    }

    private static List<FusedFrame> run(KeyedOneInputStreamOperatorTestHarness<String, PerceptionFrame, FusedFrame> h, List<PerceptionFrame> in)
            throws Exception {
        int before = h.extractOutputValues().size();
        for (PerceptionFrame f : in) {
            h.processElement(f, f.getTickEndMicros() / 1000);
        }
        List<FusedFrame> all = h.extractOutputValues();
        return new ArrayList<>(all.subList(before, all.size()));
    }

    private static List<float[]> mel(KeyedOneInputStreamOperatorTestHarness<String, PerceptionFrame, FusedFrame> h) {
        List<float[]> out = new ArrayList<>();
        h.getSideOutput(PerceptionFunction.LOG_MEL).forEach(r -> out.add(r.getValue().logMel));
        return out;
    }

    @Test
    void followsTheRealRecordingAndTheLipsThatMoveWithIt() throws Exception {
        var h = harness(new PerceptionFunction(PerceptionConfig.defaults()));
        h.open();
        List<FusedFrame> out = run(h, frames);
        assertThat(out).hasSize(frames.size());
        List<FusedFrame> speech = out.subList(LEAD_TICKS + 5, LEAD_TICKS + speechTicks - 5);
        List<FusedFrame> lead = out.subList(3, LEAD_TICKS);
        List<FusedFrame> tail = out.subList(out.size() - 10, out.size());
        assertThat(lead).allSatisfy(f -> assertThat(f.vadProbability).isLessThan(0.3f));
        assertThat(speech.stream().filter(f -> f.vadProbability > 0.5f).count()).isGreaterThan(speech.size() * 7 / 10);
        assertThat(speech).allSatisfy(f -> assertThat(f.faceUsable).isTrue());
        assertThat(speech.stream().filter(f -> f.speakingProbability > 0.6f).count()).isGreaterThan(speech.size() * 6 / 10);
        assertThat(speech.stream().filter(f -> f.backgroundSpeech).count()).isLessThan(speech.size() / 10);
        FusedFrame endOfSpeech = out.get(LEAD_TICKS + speechTicks - 1);
        assertThat(endOfSpeech.avCorrelation).isGreaterThan(0.5f);
        assertThat(Math.abs(endOfSpeech.avLagMicros)).isLessThanOrEqualTo(80_000);
        assertThat(tail).allSatisfy(f -> {
            assertThat(f.speakingProbability).isLessThan(0.2f);
            assertThat(f.lipsClosed).isTrue();
        });
        assertThat(out.get(0).logMelFrames).isEqualTo(2);
        assertThat(out.get(1).logMelFrames).isEqualTo(4);
        var mel = new ArrayList<>(h.getSideOutput(PerceptionFunction.LOG_MEL));
        assertThat(mel).hasSize(frames.size());
        assertThat(mel.get(1).getValue().logMel).hasSize(4 * 128);
        assertThat(mel.get(1).getValue().tickIndex).isEqualTo(1);
        h.close();
    }

    @Test
    void aRestoredSnapshotResumesExactlyLikeAnUninterruptedRun() throws Exception {
        PerceptionConfig c = PerceptionConfig.defaults();
        var whole = harness(new PerceptionFunction(c));
        whole.open();
        List<FusedFrame> expected = run(whole, frames);
        List<float[]> expectedMel = mel(whole);
        whole.close();

        int cut = LEAD_TICKS + speechTicks / 2 + 1; // mid-utterance, mid VAD chunk
        var first = harness(new PerceptionFunction(c));
        first.open();
        List<FusedFrame> got = run(first, frames.subList(0, cut));
        List<float[]> gotMel = mel(first);
        OperatorSubtaskState snapshot = first.snapshot(1, 1);
        first.close();
        var second = harness(new PerceptionFunction(c));
        second.initializeState(snapshot);
        second.open();
        got.addAll(run(second, frames.subList(cut, frames.size())));
        gotMel.addAll(mel(second));
        second.close();

        assertThat(got).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(got.get(i).vadProbability).as("vad at tick %d", i).isEqualTo(expected.get(i).vadProbability);
            assertThat(got.get(i).speakingProbability).as("p at tick %d", i).isEqualTo(expected.get(i).speakingProbability);
            assertThat(gotMel.get(i)).as("log-mel at tick %d (tail and running max restored)", i).containsExactly(expectedMel.get(i));
        }
    }

    @Test
    void badInputIsCountedSkippedAndDoesNotStopTheSession() throws Exception {
        PerceptionFunction fn = new PerceptionFunction(PerceptionConfig.defaults());
        var h = harness(fn);
        h.open();
        List<PerceptionFrame> in = new ArrayList<>(frames.subList(0, LEAD_TICKS + 10));
        PerceptionFrame good = frames.get(LEAD_TICKS + 10);
        PerceptionFrame odd = PerceptionFrame.newBuilder(good).setAudio(ByteBuffer.wrap(new byte[TICK * 2 - 1])).build();
        PerceptionFrame wrongRate = PerceptionFrame.newBuilder(good).setAudio(ByteBuffer.wrap(new byte[TICK])).build(); // 8 kHz
        PerceptionFrame oversized = PerceptionFrame.newBuilder(good).setAudio(ByteBuffer.wrap(new byte[64_000])).build();
        PerceptionFrame empty = PerceptionFrame.newBuilder(good).setAudio(ByteBuffer.wrap(new byte[0])).build();
        PerceptionFrame corrupt = PerceptionFrame.newBuilder(good)
                .setCamera(io.omnistream.schemas.VideoFrame.newBuilder(good.getCamera()).setSeq(10_000).setJpeg(ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xd8, 1, 2, 3})).build())
                .build();
        PerceptionFrame cameraEnded = PerceptionFrame.newBuilder(good).setCamera(null).setCameraState(TrackState.ENDED).build();
        in.addAll(List.of(odd, wrongRate, oversized, empty, corrupt, cameraEnded));
        in.addAll(frames.subList(LEAD_TICKS + 11, LEAD_TICKS + 60));
        List<FusedFrame> out = run(h, in);

        assertThat(out).hasSize(in.size());
        assertThat(out.subList(LEAD_TICKS + 10, LEAD_TICKS + 14)).allSatisfy(f -> assertThat(f.audioValid).isFalse());
        assertThat(out.get(LEAD_TICKS + 15).faceUsable).isFalse();
        assertThat(out.get(out.size() - 1).faceUsable).isTrue();
        assertThat(out.get(out.size() - 1).audioValid).isTrue();
        assertThat(fn.badInputCount(BadInput.AUDIO_WRONG_LENGTH)).isEqualTo(2);
        assertThat(fn.badInputCount(BadInput.AUDIO_OVERSIZED)).isEqualTo(1);
        assertThat(fn.badInputCount(BadInput.AUDIO_EMPTY)).isEqualTo(1);
        assertThat(fn.badInputCount(BadInput.JPEG_CORRUPT)).isEqualTo(1);
        h.close();
    }
}
