package io.omnistream.operators.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.omnistream.gpu.attention.AttentionBatch;
import io.omnistream.gpu.attention.GatedAttentionTwin;
import io.omnistream.gpu.attention.Modality;
import io.omnistream.gpu.quant.Int8QuantizerTwin;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fusion kernel against its definition computed with the twins: attention per session, mean per modality
 * segment, per-row int8. Exact on the CPU (the twins run); within one int8 step where a GPU ran.
 */
class CrossModalFusionKernelTest {

    private static AttentionRequest request(String session, int heads, int[] seg, int gates, long seed) {
        AttentionRequest r = new AttentionRequest();
        r.sessionId = session;
        r.heads = heads;
        r.segmentLengths = seg;
        r.gates = gates;
        r.windowStartTick = 16;
        r.ticks = 8;
        r.timeMicros = 640_000;
        int n = (seg[0] + seg[1] + seg[2] + seg[3]) * heads * 64;
        Random rnd = new Random(seed);
        r.q = new float[n];
        r.k = new float[n];
        r.v = new float[n];
        for (int i = 0; i < n; i++) {
            r.q[i] = (float) rnd.nextGaussian();
            r.k[i] = (float) rnd.nextGaussian();
            r.v[i] = (float) rnd.nextGaussian();
        }
        return r;
    }

    /** The definition: twin attention, mean of each present segment, twin int8. */
    private static FusedFeatures expected(AttentionRequest r) {
        int[] s = r.segmentLengths;
        AttentionBatch b = AttentionBatch.builder(r.heads).add(s[0], s[1], s[2], s[3], r.gates).build();
        float[] o = new float[b.tensorFloats()];
        new GatedAttentionTwin().compute(b, r.q, r.k, r.v, o);
        int dim = r.heads * 64;
        int rows = 0;
        for (int m = 0; m < 4; m++) {
            rows += s[m] > 0 ? 1 : 0;
        }
        float[] pooled = new float[rows * dim];
        int[] mods = new int[rows];
        for (int m = 0, at = 0, row = 0; m < 4; m++) {
            if (s[m] == 0) {
                continue;
            }
            for (int t = at; t < at + s[m]; t++) {
                for (int j = 0; j < dim; j++) {
                    pooled[row * dim + j] += o[t * dim + j];
                }
            }
            for (int j = 0; j < dim; j++) {
                pooled[row * dim + j] /= s[m];
            }
            mods[row++] = m;
            at += s[m];
        }
        FusedFeatures f = new FusedFeatures();
        f.rowModalities = mods;
        f.dim = dim;
        f.codes = new byte[rows * dim];
        f.scales = new float[rows];
        new Int8QuantizerTwin().quantize(pooled, rows, dim, f.codes, f.scales);
        return f;
    }

    private static void assertMatches(FusedFeatures got, FusedFeatures want) {
        assertThat(got.rowModalities).containsExactly(want.rowModalities);
        assertThat(got.dim).isEqualTo(want.dim);
        if (!got.gpu) {
            assertThat(got.codes).containsExactly(want.codes);
            assertThat(got.scales).containsExactly(want.scales);
            return;
        }
        for (int r = 0; r < got.rows(); r++) {
            for (int c = 0; c < got.dim; c++) {
                assertThat((double) Math.abs(got.value(r, c) - want.value(r, c)))
                        .isLessThanOrEqualTo(2.0 * Math.max(got.scales[r], want.scales[r]) + 2e-3);
            }
        }
    }

    @Test
    void fusedRowsAreTheQuantisedSegmentMeansOfTheGatedAttention() {
        try (CrossModalFusionKernel k = new CrossModalFusionKernel()) {
            k.open();
            AttentionRequest a = request("a", 2, new int[] {32, 8, 1, 0}, 0xFFFF & 0x0777, 1);
            AttentionRequest b = request("b", 2, new int[] {30, 5, 0, 0},
                    Modality.gate(Modality.AUDIO, Modality.AUDIO) | Modality.gate(Modality.LIPS, Modality.AUDIO), 2);
            k.validate(a);
            k.validate(b);
            List<FusedFeatures> out = k.run(0, List.of(a, b));
            assertThat(out).hasSize(2);
            assertThat(out.get(0).sessionId).isEqualTo("a");
            assertThat(out.get(0).segmentTokens).containsExactly(32, 8, 1, 0);
            assertThat(out.get(0).gate).isEqualTo(0x0777);
            assertThat(out.get(0).windowStartTick).isEqualTo(16);
            assertThat(out.get(0).windowStartMicros).isEqualTo(640_000);
            assertThat(out.get(1).rowModalities).containsExactly(0, 1);
            assertMatches(out.get(0), expected(a));
            assertMatches(out.get(1), expected(b));
            assertThat(out.get(0).gpu).isEqualTo(k.onGpu());
        }
    }

    @Test
    void aModalityWhoseQueriesSeeNoKeyGetsAZeroRow() {
        try (CrossModalFusionKernel k = new CrossModalFusionKernel()) {
            k.open();
            AttentionRequest r = request("a", 1, new int[] {12, 3, 0, 0}, Modality.gate(Modality.AUDIO, Modality.AUDIO), 3);
            FusedFeatures f = k.run(0, List.of(r)).get(0);
            assertThat(f.rowModalities).containsExactly(0, 1);
            assertThat(f.scales[1]).isZero();
            for (int c = 0; c < f.dim; c++) {
                assertThat(f.codes[f.dim + c]).isZero();
            }
            assertThat(f.scales[0]).isPositive();
        }
    }

    @Test
    void routedRequestsNeedNoPairScoresButBadGatesAreRejected() {
        try (CrossModalFusionKernel k = new CrossModalFusionKernel()) {
            AttentionRequest ok = request("a", 1, new int[] {2, 0, 0, 0}, 1, 4);
            k.validate(ok);
            AttentionRequest bad = request("a", 1, new int[] {2, 0, 0, 0}, 0x10000, 4);
            assertThatThrownBy(() -> k.validate(bad)).isInstanceOf(IllegalArgumentException.class);
            AttentionRequest unrouted = request("a", 1, new int[] {2, 0, 0, 0}, -1, 4);
            assertThatThrownBy(() -> k.validate(unrouted)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
