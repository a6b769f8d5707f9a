package io.omnistream.operators.gpu;

import static io.omnistream.operators.gpu.BatchedFrameHarness.feed;
import static io.omnistream.operators.gpu.BatchedFrameHarness.harness;
import static io.omnistream.operators.perception.PerceptionTestData.CARDS_005;
import static io.omnistream.operators.perception.PerceptionTestData.LIBRIVOX_0880;
import static io.omnistream.operators.perception.PerceptionTestData.LIBRIVOX_0930;
import static io.omnistream.operators.perception.PerceptionTestData.readWav;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.audio.Pcm16;
import io.omnistream.operators.fusion.FusedFrame;
import io.omnistream.operators.perception.BadInput;
import io.omnistream.operators.perception.ModelFiles;
import io.omnistream.operators.perception.PerceptionConfig;
import io.omnistream.operators.perception.PerceptionFunction;
import io.omnistream.operators.route.RouteConfig;
import io.omnistream.operators.vad.SileroVad;
import io.omnistream.operators.vad.VadState;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.RouteDecision;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The batched Silero VAD (on the Java twin here; the CUDA encoder is checked against the twin in gpu-kernels) against
 * perception's own per-session ONNX Runtime VAD, on real recordings of several sessions whose frames are interleaved
 * and batched in varying groupings (several frames of one session in a batch included).
 */
class BatchedVadOperatorTest {
    private static final int TICK = 640;
    /** At most this many ticks (8 s) of each recording, to keep the test short. */
    private static final int MAX_TICKS = 200;
    private static final double TOLERANCE = 1e-4;

    private static final Map<String, short[]> recordings = new LinkedHashMap<>();
    private static SileroVad ort;

    @BeforeAll
    static void load() throws Exception {
        short[] a = readWav(LIBRIVOX_0880);
        short[] b = readWav(LIBRIVOX_0930);
        short[] ab = java.util.Arrays.copyOf(a, a.length + b.length); // two utterances: long enough to route off and on twice
        System.arraycopy(b, 0, ab, a.length, b.length);
        recordings.put("s0880", clip(ab, 0));
        recordings.put("s0930", clip(readWav(LIBRIVOX_0930), 0));
        recordings.put("cards", clip(readWav(CARDS_005), 12)); // starts later: sessions out of step
        ort = new SileroVad(ModelFiles.require(ModelFiles.modelsDir(), ModelFiles.SILERO_VAD), 512, 64, 16000, 1);
    }

    @AfterAll
    static void close() throws Exception {
        ort.close();
    }

    /** The recording after {@code leadTicks} of silence, followed by 1 s of silence, at most MAX_TICKS ticks. */
    private static short[] clip(short[] s, int leadTicks) {
        int n = Math.min(MAX_TICKS * TICK, (leadTicks + 25) * TICK + s.length);
        n -= n % TICK;
        short[] out = new short[n];
        System.arraycopy(s, 0, out, leadTicks * TICK, Math.min(s.length, n - leadTicks * TICK));
        return out;
    }

    private static int ticks(String session) {
        return recordings.get(session).length / TICK;
    }

    /** A fresh frame (operators may set its VAD field) of the session's tick. */
    private static PerceptionFrame frame(String session, int tick, RouteDecision route) {
        short[] s = recordings.get(session);
        long start = tick * 40_000L;
        return PerceptionFrame.newBuilder()
                .setSessionId(session)
                .setTickIndex(tick)
                .setTickStartMicros(start)
                .setTickEndMicros(start + 40_000L)
                .setAudio(ByteBuffer.wrap(Pcm16.toBytes(s, tick * TICK, TICK)))
                .setRoute(route)
                .build();
    }

    private static final RouteDecision VAD_OFF = RouteDecision.newBuilder().setVad(false).build();

    /** All sessions' frames interleaved tick by tick; {@code off} says which ticks of session "s0880" are routed off. */
    private static List<PerceptionFrame> interleaved(IntPredicate off) {
        List<PerceptionFrame> in = new ArrayList<>();
        int max = recordings.keySet().stream().mapToInt(BatchedVadOperatorTest::ticks).max().orElse(0);
        for (int t = 0; t < max; t++) {
            for (String s : recordings.keySet()) {
                if (t < ticks(s)) {
                    in.add(frame(s, t, s.equals("s0880") && off.test(t) ? VAD_OFF : null));
                }
            }
        }
        return in;
    }

    /** Twin against ONNX Runtime: 1e-4 (gpu-kernels' oracle tolerance); on a GPU the CUDA-vs-twin 1e-4 adds to it. */
    private static double tolerance(BatchedVadOperator open) {
        return open.onGpu() ? 2 * TOLERANCE : TOLERANCE;
    }

    private static BatchedVadOperator operator(RouteConfig routing) {
        return new BatchedVadOperator(PerceptionConfig.defaults(), routing,
                GpuBatchConfig.defaults().withMaxWait(Duration.ofMillis(2)).withMaxBatchSize(1024));
    }

    /**
     * Per session, the probability perception's own VAD (ONNX Runtime) reports for each tick, as it keeps it: restarted
     * from a fresh state primed with silent chunks at the first loud tick after silence (the configured rule).
     */
    private static Map<String, List<Float>> ortReference() throws Exception {
        PerceptionConfig config = PerceptionConfig.defaults();
        int prime = PerceptionFunction.vadPrimeChunks() * config.vadChunkSamples;
        Map<String, List<Float>> out = new LinkedHashMap<>();
        for (String s : recordings.keySet()) {
            VadState st = new VadState();
            long quiet = Long.MAX_VALUE;
            float last = 0f;
            List<Float> probs = new ArrayList<>();
            for (int t = 0; t < ticks(s); t++) {
                float[] x = Pcm16.toFloats(frame(s, t, null).getAudio());
                float energy = Pcm16.energyDb(x);
                if (PerceptionFunction.restartsVad(config, quiet, energy)) {
                    st = new VadState();
                    ort.accept(st, new float[prime], 0, prime);
                }
                quiet = PerceptionFunction.quietAfter(config, quiet, energy, 40_000L);
                float p = ort.accept(st, x, 0, x.length);
                if (p >= 0) {
                    last = p;
                }
                probs.add(last);
            }
            out.put(s, probs);
        }
        return out;
    }

    private static Map<String, List<Float>> bySession(List<PerceptionFrame> out) {
        Map<String, List<Float>> m = new LinkedHashMap<>();
        for (PerceptionFrame f : out) {
            m.computeIfAbsent(f.getSessionId(), k -> new ArrayList<>()).add(f.getVadProbability());
        }
        return m;
    }

    @Test
    void batchedProbabilitiesOfInterleavedSessionsMatchEachSessionsOwnOnnxRuntimeVad() throws Exception {
        Map<String, List<Float>> expected = ortReference();
        BatchedVadOperator op = operator(RouteConfig.defaults());
        List<PerceptionFrame> in = interleaved(t -> false);
        try (var h = harness(op)) {
            h.setProcessingTime(0);
            h.open();
            feed(h, in, 7); // 7 frames of 3 sessions: batches hold 2 or 3 frames of a session
            List<PerceptionFrame> out = h.extractOutputValues();
            assertThat(out).hasSize(in.size());
            double tolerance = tolerance(op);
            Map<String, List<Float>> got = bySession(out);
            int speech = 0;
            int silence = 0;
            for (String s : recordings.keySet()) {
                List<Float> e = expected.get(s);
                List<Float> g = got.get(s);
                assertThat(g).hasSameSizeAs(e);
                for (int t = 0; t < e.size(); t++) {
                    assertThat((double) g.get(t)).as("%s tick %d", s, t).isCloseTo(e.get(t), org.assertj.core.data.Offset.offset(tolerance));
                    assertThat(g.get(t) >= 0.5f).as("%s tick %d decision", s, t).isEqualTo(e.get(t) >= 0.5f);
                    if (e.get(t) >= 0.5f) {
                        speech++;
                    } else {
                        silence++;
                    }
                }
            }
            assertThat(speech).as("the recordings hold speech").isGreaterThan(100);
            assertThat(silence).as("and silence").isGreaterThan(50);
            assertThat(op.batchSizeHistogram().getCount()).isLessThan(in.size() / 5);
            assertThat(op.batchSizeHistogram().getStatistics().getMax()).isEqualTo(7);
            assertThat(op.fallbackCount()).isZero();
        }
    }

    @Test
    void aRestoredSnapshotResumesEverySessionExactlyLikeAnUninterruptedRun() throws Exception {
        List<PerceptionFrame> whole = interleaved(t -> t >= 60 && t < 70);
        List<Float> expected;
        boolean gpu;
        BatchedVadOperator uninterrupted = operator(RouteConfig.defaults());
        try (var h = harness(uninterrupted)) {
            h.setProcessingTime(0);
            h.open();
            feed(h, whole, 5);
            gpu = uninterrupted.onGpu();
            expected = h.extractOutputValues().stream().map(PerceptionFrame::getVadProbability).toList();
        }
        List<PerceptionFrame> again = interleaved(t -> t >= 60 && t < 70);
        int cut = 3 * 64 + 2; // mid-tick, frames buffered, each session with a chunk half done (640 = 512 + 128)
        List<Float> got = new ArrayList<>();
        OperatorSubtaskState snapshot;
        try (var h = harness(operator(RouteConfig.defaults()))) {
            h.setProcessingTime(0);
            h.open();
            feed(h, again.subList(0, cut - 4), 5);
            for (PerceptionFrame f : again.subList(cut - 4, cut)) {
                h.processElement(f, f.getTickEndMicros() / 1000); // still waiting for their batch at the barrier
            }
            int before = h.extractOutputValues().size();
            h.prepareSnapshotPreBarrier(1);
            assertThat(h.extractOutputValues()).hasSize(before + 4);
            snapshot = h.snapshot(1, h.getProcessingTime());
            h.extractOutputValues().forEach(f -> got.add(f.getVadProbability()));
        }
        try (var h = harness(operator(RouteConfig.defaults()))) {
            h.setProcessingTime(0);
            h.initializeState(snapshot);
            h.open();
            feed(h, again.subList(cut, again.size()), 5);
            h.extractOutputValues().forEach(f -> got.add(f.getVadProbability()));
        }
        assertSameResults(got, expected, gpu);
    }

    /** Session "s0880": VAD on, off for 2.4 s (released after 1 s), on, off for 0.4 s (kept), on again. */
    private static boolean routedOff(int t) {
        return (t >= 50 && t < 110) || (t >= 150 && t < 160);
    }

    @Test
    void routedOffTicksAreSkippedAndTheVadIsReprimedExactlyAsPerceptionDoesIt() throws Exception {
        RouteConfig routing = RouteConfig.defaults();
        routing.vadReleaseAfterMicros = 1_000_000;
        PerceptionConfig config = PerceptionConfig.defaults();
        config.logMelEnabled = false;
        PerceptionFrame bad = frame("s0880", 170, null);
        bad.setAudio(ByteBuffer.wrap(new byte[TICK])); // half a tick: perception reports it, the VAD leaves it alone

        // today: perception's own ONNX Runtime VAD
        PerceptionFunction cpu = new PerceptionFunction(config, routing);
        List<FusedFrame> expected;
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(cpu), PerceptionFrame::getSessionId, Types.STRING)) {
            h.open();
            for (PerceptionFrame f : withBadFrame(interleaved(BatchedVadOperatorTest::routedOff), PerceptionFrame.newBuilder(bad).build())) {
                h.processElement(f, f.getTickEndMicros() / 1000);
            }
            expected = h.extractOutputValues();
        }

        // batched VAD in front of perception
        BatchedVadOperator op = operator(routing);
        List<PerceptionFrame> withVad;
        double tolerance;
        try (var h = harness(op)) {
            h.setProcessingTime(0);
            h.open();
            tolerance = tolerance(op);
            feed(h, withBadFrame(interleaved(BatchedVadOperatorTest::routedOff), bad), 4);
            withVad = h.extractOutputValues();
        }
        assertThat(withVad).filteredOn(f -> f.getRoute() != null).extracting(PerceptionFrame::getVadProbability)
                .as("routed off: not computed").containsOnly(-1f);
        assertThat(op.releasedCount()).isEqualTo(1);
        assertThat(op.fallbackCount()).isEqualTo(1);
        PerceptionFunction fed = new PerceptionFunction(config, routing);
        List<FusedFrame> got;
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(fed), PerceptionFrame::getSessionId, Types.STRING)) {
            h.open();
            for (PerceptionFrame f : withVad) {
                h.processElement(f, f.getTickEndMicros() / 1000);
            }
            got = h.extractOutputValues();
        }

        assertThat(got).hasSameSizeAs(expected);
        Map<String, List<FusedFrame>> e = new LinkedHashMap<>();
        Map<String, List<FusedFrame>> g = new LinkedHashMap<>();
        expected.forEach(f -> e.computeIfAbsent(f.sessionId, k -> new ArrayList<>()).add(f));
        got.forEach(f -> g.computeIfAbsent(f.sessionId, k -> new ArrayList<>()).add(f));
        for (String s : e.keySet()) {
            assertThat(g.get(s)).hasSameSizeAs(e.get(s));
            for (int i = 0; i < e.get(s).size(); i++) {
                FusedFrame a = e.get(s).get(i);
                FusedFrame b = g.get(s).get(i);
                assertThat(b.tickIndex).isEqualTo(a.tickIndex);
                assertThat((double) b.vadProbability).as("%s tick %d", s, a.tickIndex)
                        .isCloseTo(a.vadProbability, org.assertj.core.data.Offset.offset(tolerance));
                assertThat(b.vadProbability >= 0.5f).isEqualTo(a.vadProbability >= 0.5f);
                assertThat((double) b.audioProbability).isCloseTo(a.audioProbability, org.assertj.core.data.Offset.offset(tolerance));
                assertThat(b.audioValid).isEqualTo(a.audioValid);
            }
        }
        for (String counter : List.of("work.vad.run", "work.vad.skipped", "work.vadPrime.run")) {
            assertThat(fed.workCount(counter)).as(counter).isEqualTo(cpu.workCount(counter));
        }
        assertThat(cpu.workCount("work.vad.skipped")).isEqualTo(70);
        // two switch-ons after routed silence, and restarts after silence in every session (the configured rule)
        assertThat(cpu.workCount("work.vadPrime.run")).isGreaterThanOrEqualTo(2 * PerceptionFunction.vadPrimeChunks())
                .isEqualTo(fed.workCount("work.vadPrime.run"));
        assertThat(cpu.workCount("memory.vad.released")).isEqualTo(op.releasedCount());
        assertThat(fed.badInputCount(BadInput.AUDIO_WRONG_LENGTH)).isEqualTo(1).isEqualTo(cpu.badInputCount(BadInput.AUDIO_WRONG_LENGTH));
    }

    /**
     * Identical on the twin (its rows do not depend on the batch); on a GPU, batches of other compositions may round
     * differently, within the encoders' tolerance.
     */
    private static void assertSameResults(List<Float> got, List<Float> expected, boolean gpu) {
        if (!gpu) {
            assertThat(got).containsExactlyElementsOf(expected);
            return;
        }
        assertThat(got).hasSameSizeAs(expected);
        for (int i = 0; i < got.size(); i++) {
            assertThat((double) got.get(i)).isCloseTo(expected.get(i), org.assertj.core.data.Offset.offset(TOLERANCE));
        }
    }

    /** The frames with {@code bad} inserted before session s0880's tick of the same index. */
    private static List<PerceptionFrame> withBadFrame(List<PerceptionFrame> frames, PerceptionFrame bad) {
        List<PerceptionFrame> out = new ArrayList<>(frames);
        for (int i = 0; i < out.size(); i++) {
            PerceptionFrame f = out.get(i);
            if (f.getSessionId().equals(bad.getSessionId()) && f.getTickIndex() == bad.getTickIndex()) {
                out.add(i, bad);
                return out;
            }
        }
        throw new IllegalArgumentException("no tick " + bad.getTickIndex());
    }

    @Test
    void malformedFramesOfOneSessionPassThroughAndDoNotChangeAnotherSessionsResults() throws Exception {
        List<Float> clean;
        boolean gpu;
        BatchedVadOperator withoutBadFrames = operator(RouteConfig.defaults());
        try (var h = harness(withoutBadFrames)) {
            h.setProcessingTime(0);
            h.open();
            feed(h, interleaved(t -> false), 6);
            gpu = withoutBadFrames.onGpu();
            clean = h.extractOutputValues().stream().map(PerceptionFrame::getVadProbability).toList();
        }
        List<PerceptionFrame> in = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        int k = 0;
        for (PerceptionFrame f : interleaved(t -> false)) {
            if (f.getSessionId().equals("cards") && f.getTickIndex() % 20 == 5) {
                PerceptionFrame b = frame("cards", (int) f.getTickIndex(), null);
                switch (k++ % 3) {
                    case 0 -> b.setAudio(ByteBuffer.wrap(new byte[2 * TICK + 1])); // odd length
                    case 1 -> b.setAudio(ByteBuffer.allocate(0)); // empty
                    default -> b.setAudio(ByteBuffer.wrap(new byte[2 * 20_000])); // oversized
                }
                in.add(b);
                bad.add(b.getSessionId() + "#" + b.getTickIndex() + "/" + b.getAudio().remaining());
            }
            in.add(f);
        }
        BatchedVadOperator op = operator(RouteConfig.defaults());
        try (var h = harness(op)) {
            h.setProcessingTime(0);
            h.open();
            feed(h, in, 6);
            List<PerceptionFrame> out = h.extractOutputValues();
            assertThat(out).hasSize(in.size());
            List<Float> good = new ArrayList<>();
            List<String> passed = new ArrayList<>();
            List<String> order = new ArrayList<>();
            for (PerceptionFrame f : out) {
                if (PerceptionFunction.audioProblem(f, PerceptionConfig.defaults()) != null) {
                    assertThat(f.getVadProbability()).isEqualTo(-1f);
                    passed.add(f.getSessionId() + "#" + f.getTickIndex() + "/" + f.getAudio().remaining());
                } else {
                    assertThat(f.getVadProbability()).isGreaterThanOrEqualTo(0f);
                    good.add(f.getVadProbability());
                }
                order.add(f.getSessionId() + "#" + f.getTickIndex() + "/" + f.getAudio().remaining());
            }
            assertSameResults(good, clean, gpu);
            assertThat(passed).containsExactlyElementsOf(bad);
            assertThat(order).as("arrival order kept").containsExactlyElementsOf(
                    in.stream().map(f -> f.getSessionId() + "#" + f.getTickIndex() + "/" + f.getAudio().remaining()).toList());
            assertThat(op.fallbackCount()).isEqualTo(bad.size()).isGreaterThanOrEqualTo(3);
        }
    }
}
