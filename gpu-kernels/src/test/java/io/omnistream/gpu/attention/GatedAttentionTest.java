package io.omnistream.gpu.attention;

import static io.omnistream.gpu.testutils.GpuAssumptions.assumeGpu;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.gpu.Kernels;
import io.omnistream.gpu.testutils.Signals;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Twin properties on the CPU; GPU equality within 4e-3 absolute (fp16 probabilities in the P·V product and fp16
 * output rounding; values of V lie in [-1, 1]), exact zeros where no key is visible.
 */
class GatedAttentionTest {

    private final GatedAttentionTwin twin = new GatedAttentionTwin();
    private static final int D = AttentionBatch.HEAD_DIM;

    private static float[][] qkv(AttentionBatch b, long seed) {
        int n = b.tensorFloats();
        return new float[][] {Signals.uniform(n, seed, -1, 1), Signals.uniform(n, seed + 1, -1, 1),
            Signals.uniform(n, seed + 2, -1, 1)};
    }

    @Test
    void lengthOneSequenceReturnsItsOwnValue() {
        AttentionBatch b = AttentionBatch.builder(1).add(0, 0, 0, 1, Modality.ALL_GATES).build();
        float[][] t = qkv(b, 1);
        float[] out = new float[b.tensorFloats()];
        twin.compute(b, t[0], t[1], t[2], out);
        for (int c = 0; c < D; c++) {
            assertThat(out[c]).isEqualTo(Half.round(t[2][c]));
        }
    }

    @Test
    void factoryUsesTheGpuWhenPresent() {
        try (GatedAttention a = Kernels.gatedAttention()) {
            assertThat(a.onGpu()).isEqualTo(io.omnistream.gpu.runtime.GpuRuntime.available());
        }
    }

    @Test
    void allGatesOffGiveZeros() {
        AttentionBatch b = AttentionBatch.builder(2).add(10, 5, 3, 7, Modality.NO_GATES).build();
        float[][] t = qkv(b, 2);
        float[] out = new float[b.tensorFloats()];
        Arrays.fill(out, 9f);
        twin.compute(b, t[0], t[1], t[2], out);
        assertThat(out).containsOnly(0f);
    }

    @Test
    void sequencesDoNotSeeEachOther() {
        AttentionBatch b = AttentionBatch.builder(1).add(4, 4, 4, 4, Modality.ALL_GATES).add(3, 0, 9, 1, Modality.ALL_GATES)
                .build();
        float[][] t = qkv(b, 3);
        float[] out1 = new float[b.tensorFloats()];
        twin.compute(b, t[0], t[1], t[2], out1);
        for (int i = 16 * D; i < b.tensorFloats(); i++) {
            t[1][i] += 0.5f;
            t[2][i] -= 0.5f;
        }
        float[] out2 = new float[b.tensorFloats()];
        twin.compute(b, t[0], t[1], t[2], out2);
        assertThat(Arrays.copyOf(out2, 16 * D)).containsExactly(Arrays.copyOf(out1, 16 * D));
        assertThat(Arrays.copyOfRange(out2, 16 * D, out2.length)).isNotEqualTo(Arrays.copyOfRange(out1, 16 * D, out1.length));
    }

    @Test
    void diagonalGatesEqualAttentionWithinEachModalityAlone() {
        AttentionBatch mixed = AttentionBatch.builder(1).add(5, 7, 0, 3, Modality.diagonalGates()).build();
        AttentionBatch lipsOnly = AttentionBatch.builder(1).add(0, 7, 0, 0, Modality.ALL_GATES).build();
        float[][] t = qkv(mixed, 4);
        float[] out = new float[mixed.tensorFloats()];
        twin.compute(mixed, t[0], t[1], t[2], out);
        float[][] lips = new float[3][];
        for (int i = 0; i < 3; i++) {
            lips[i] = Arrays.copyOfRange(t[i], 5 * D, 12 * D);
        }
        float[] lipsOut = new float[lipsOnly.tensorFloats()];
        twin.compute(lipsOnly, lips[0], lips[1], lips[2], lipsOut);
        assertThat(Arrays.copyOfRange(out, 5 * D, 12 * D)).containsExactly(lipsOut);
    }

    @Test
    void emptyBatchIsANoOp() {
        AttentionBatch b = AttentionBatch.builder(4).build();
        assertThat(b.tensorFloats()).isZero();
        twin.compute(b, new float[0], new float[0], new float[0], new float[0]);
    }

    @Test
    void densityCountsOnlyGatedPairs() {
        AttentionBatch b = AttentionBatch.builder(1).add(64, 64, 64, 64, Modality.diagonalGates()).build();
        assertThat(b.density()).isEqualTo(0.25);
    }

    @Test
    void halfConversionRoundsToNearestEven() {
        assertThat(Half.round(1f + 0x1p-11f)).isEqualTo(1f);
        assertThat(Half.round(1f + 0x1p-11f + 0x1p-20f)).isEqualTo(1f + 0x1p-10f);
        assertThat(Half.round(65520f)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Half.round(0x1p-24f)).isEqualTo(0x1p-24f);
        assertThat(Half.round(-3.14159f)).isEqualTo(-3.140625f);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(GatedAttentionCuda.Variant.class)
    void gpuMatchesTheTwinOnVariableLengthsAndGates(GatedAttentionCuda.Variant variant) {
        assumeGpu();
        AttentionBatch b = AttentionBatch.builder(2)
                .add(0, 0, 0, 1, Modality.ALL_GATES)
                .add(1, 0, 0, 0, Modality.NO_GATES)
                .add(20, 13, 0, 30, Modality.ALL_GATES)
                .add(64, 0, 0, 0, Modality.ALL_GATES)
                .add(30, 35, 0, 0, Modality.diagonalGates())
                .add(100, 37, 64, 99, Modality.gate(Modality.AUDIO, Modality.LIPS) | Modality.gate(Modality.TEXT, Modality.TEXT)
                        | Modality.gate(Modality.TEXT, Modality.SCREEN))
                .add(128, 128, 128, 128, Modality.diagonalGates())
                .add(7, 70, 3, 61, 0x5A5A)
                .add(5, 0, 300, 2, Modality.gate(Modality.SCREEN, Modality.AUDIO))
                .add(0, 0, 0, 0, Modality.ALL_GATES)
                .build();
        float[][] t = qkv(b, 5);
        float[] g = new float[b.tensorFloats()];
        float[] w = new float[b.tensorFloats()];
        try (GatedAttention gpu = new GatedAttentionCuda(io.omnistream.gpu.runtime.GpuRuntime.newContext(), variant)) {
            assertThat(gpu.onGpu()).isTrue();
            gpu.compute(b, t[0], t[1], t[2], g);
            AttentionBatch empty = AttentionBatch.builder(2).build();
            gpu.compute(empty, new float[0], new float[0], new float[0], new float[0]);
        }
        twin.compute(b, t[0], t[1], t[2], w);
        double worst = 0;
        for (int i = 0; i < w.length; i++) {
            if (w[i] == 0f && (i / (2 * D)) >= 1 && (i / (2 * D)) < 2) {
                assertThat(g[i]).isZero();
            }
            worst = Math.max(worst, Math.abs(g[i] - w[i]));
            assertThat((double) Math.abs(g[i] - w[i])).as("element %d", i).isLessThanOrEqualTo(4e-3);
        }
        System.out.printf("gated attention %s GPU vs twin: max |diff| %.2e over %d values%n", variant, worst, w.length);
    }
}
