package io.omnistream.operators.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.gpu.attention.Modality;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class CrossModalWindowAssemblerTest {

    private static GpuStagesConfig config(int windowTicks) {
        GpuStagesConfig c = GpuStagesConfig.forced();
        c.heads = 1;
        c.windowTicks = windowTicks;
        return c;
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, TickTokens, AttentionRequest> harness(GpuStagesConfig c)
            throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new CrossModalWindowAssembler(c)),
                (TickTokens t) -> t.sessionId, Types.STRING);
        h.open();
        return h;
    }

    private static float[] rows(int n, int width, float base) {
        float[] x = new float[n * width];
        for (int i = 0; i < x.length; i++) {
            x[i] = base + 0.01f * (i % 37) - 0.2f;
        }
        return x;
    }

    private static TickTokens audio(String s, long tick, int frames) {
        return new TickTokens(s, tick, tick * 40_000, TickTokens.AUDIO, frames, frames == 0 ? null : rows(frames, 128, tick));
    }

    private static TickTokens lips(String s, long tick, boolean face) {
        return new TickTokens(s, tick, tick * 40_000, TickTokens.LIPS, face ? 1 : 0, face ? rows(1, 8, 0.5f) : null);
    }

    private static TickTokens frame(String s, long tick, int pairs, boolean screenChanged) {
        TickTokens t = new TickTokens(s, tick, tick * 40_000, TickTokens.FRAME, screenChanged ? 1 : 0,
                screenChanged ? rows(1, 128, -0.1f) : null);
        t.attentionPairs = pairs;
        return t;
    }

    @Test
    void emitsOneRequestPerWindowOnceEveryPathHasPassedItsLastTick() throws Exception {
        try (var h = harness(config(2))) {
            h.processElement(frame("a", 0, -1, false), 0);
            h.processElement(audio("a", 0, 2), 0);
            h.processElement(lips("a", 0, true), 0);
            h.processElement(frame("a", 1, -1, false), 1);
            h.processElement(audio("a", 1, 4), 1);
            assertThat(h.extractOutputValues()).isEmpty();
            h.processElement(lips("a", 1, false), 1);
            List<AttentionRequest> out = h.extractOutputValues();
            assertThat(out).hasSize(1);
            AttentionRequest r = out.get(0);
            assertThat(r.sessionId).isEqualTo("a");
            assertThat(r.windowStartTick).isZero();
            assertThat(r.ticks).isEqualTo(2);
            assertThat(r.segmentLengths).containsExactly(6, 1, 0, 0);
            // no router decision: every pair of the modalities present (audio, lips)
            assertThat(r.gates).isEqualTo(Modality.gate(Modality.AUDIO, Modality.AUDIO) | Modality.gate(Modality.AUDIO, Modality.LIPS)
                    | Modality.gate(Modality.LIPS, Modality.AUDIO) | Modality.gate(Modality.LIPS, Modality.LIPS));
            assertThat(r.q).hasSize(7 * 64);
        }
    }

    @Test
    void tokensAreTheFixedProjectionsOfTheRawFeaturesInModalityOrder() throws Exception {
        GpuStagesConfig c = config(1);
        try (var h = harness(c)) {
            h.processElement(lips("a", 0, true), 0);
            h.processElement(frame("a", 0, -1, true), 0);
            h.processElement(audio("a", 0, 2), 0);
            AttentionRequest r = h.extractOutputValues().get(0);
            assertThat(r.segmentLengths).containsExactly(2, 1, 1, 0);
            ModalityProjection p = new ModalityProjection(c.heads, c.projectionSeed);
            float[] q = new float[4 * 64];
            float[] k = new float[4 * 64];
            float[] v = new float[4 * 64];
            p.project(0, audio("a", 0, 2).values, 2, q, k, v, 0);
            p.project(1, lips("a", 0, true).values, 1, q, k, v, 2);
            p.project(2, frame("a", 0, -1, true).values, 1, q, k, v, 3);
            assertThat(r.q).containsExactly(q);
            assertThat(r.k).containsExactly(k);
            assertThat(r.v).containsExactly(v);
        }
    }

    @Test
    void theNewestRouterDecisionOfTheWindowGatesItWithinThePresentModalities() throws Exception {
        try (var h = harness(config(2))) {
            int audioOnlySelf = Modality.gate(Modality.AUDIO, Modality.AUDIO);
            int lipsToAudio = Modality.gate(Modality.LIPS, Modality.AUDIO);
            int screenToScreen = Modality.gate(Modality.SCREEN, Modality.SCREEN);
            h.processElement(frame("a", 0, Modality.ALL_GATES, false), 0);
            h.processElement(frame("a", 1, audioOnlySelf | lipsToAudio | screenToScreen, false), 1);
            for (int t = 0; t < 2; t++) {
                h.processElement(audio("a", t, 4), t);
                h.processElement(lips("a", t, true), t);
            }
            AttentionRequest r = h.extractOutputValues().get(0);
            assertThat(r.segmentLengths).containsExactly(8, 2, 0, 0);
            assertThat(r.gates).isEqualTo(audioOnlySelf | lipsToAudio);
        }
    }

    @Test
    void sessionsAreAssembledSeparately() throws Exception {
        try (var h = harness(config(1))) {
            h.processElement(audio("a", 0, 4), 0);
            h.processElement(audio("b", 0, 3), 0);
            h.processElement(lips("b", 0, false), 0);
            h.processElement(frame("b", 0, -1, false), 0);
            h.processElement(lips("a", 0, false), 0);
            assertThat(h.extractOutputValues()).extracting(r -> r.sessionId).containsExactly("b");
            h.processElement(frame("a", 0, -1, false), 0);
            List<AttentionRequest> out = h.extractOutputValues();
            assertThat(out).extracting(r -> r.sessionId).containsExactly("b", "a");
            assertThat(out.get(0).segmentLengths).containsExactly(3, 0, 0, 0);
            assertThat(out.get(1).segmentLengths).containsExactly(4, 0, 0, 0);
            assertThat(out.get(1).gates).isEqualTo(Modality.gate(Modality.AUDIO, Modality.AUDIO));
        }
    }

    @Test
    void aStalledPathHoldsAWindowBackOnlyUntilTheWatermarkPassesItsLastTick() throws Exception {
        try (var h = harness(config(2))) {
            for (int t = 0; t < 5; t++) { // the lips path never delivers; timestamp of tick t = t
                h.processElement(audio("a", t, 4), t);
                h.processElement(frame("a", t, -1, false), t);
            }
            h.processWatermark(0);
            assertThat(h.extractOutputValues()).isEmpty();
            h.processWatermark(3); // past tick 3, the last of window 1: windows 0 and 1 go out, in order
            List<AttentionRequest> out = h.extractOutputValues();
            assertThat(out).extracting(r -> r.windowStartTick).containsExactly(0L, 2L);
            assertThat(out.get(0).segmentLengths).containsExactly(8, 0, 0, 0);
        }
    }

    @Test
    void partsOfAnEmittedWindowThatComeLateAreDroppedNotEmittedAgain() throws Exception {
        try (var h = harness(config(1))) {
            h.processElement(audio("a", 0, 4), 0);
            h.processElement(frame("a", 0, -1, false), 0);
            h.processWatermark(0);
            assertThat(h.extractOutputValues()).hasSize(1);
            h.processElement(lips("a", 0, true), 0); // the slow path's part of tick 0, after its window went out
            h.processElement(audio("a", 1, 4), 1);
            h.processElement(frame("a", 1, -1, false), 1);
            h.processElement(lips("a", 1, true), 1);
            List<AttentionRequest> out = h.extractOutputValues();
            assertThat(out).extracting(r -> r.windowStartTick).containsExactly(0L, 1L);
            assertThat(out.get(1).segmentLengths).containsExactly(4, 1, 0, 0);
        }
    }

    @Test
    void malformedTokensAreDroppedWithoutFailingTheSession() throws Exception {
        try (var h = harness(config(1))) {
            TickTokens bad = audio("a", 0, 2);
            bad.tokens = 3; // values hold 2 rows
            h.processElement(bad, 0);
            TickTokens unknown = audio("a", 0, 2);
            unknown.path = 7;
            h.processElement(unknown, 0);
            assertThat(h.extractOutputValues()).isEmpty();
            h.processElement(audio("a", 0, 2), 0);
            h.processElement(lips("a", 0, false), 0);
            h.processElement(frame("a", 0, -1, false), 0);
            assertThat(h.extractOutputValues()).hasSize(1);
            assertThat(h.extractOutputValues().get(0).segmentLengths).containsExactly(2, 0, 0, 0);
        }
    }

    @Test
    void aWindowWithoutAnyTokenEmitsNothing() throws Exception {
        try (var h = harness(config(1))) {
            h.processElement(audio("a", 0, 0), 0);
            h.processElement(lips("a", 0, false), 0);
            h.processElement(frame("a", 0, -1, false), 0);
            assertThat(h.extractOutputValues()).isEmpty();
        }
    }
}
