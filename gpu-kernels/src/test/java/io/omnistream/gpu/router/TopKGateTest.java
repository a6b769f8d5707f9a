package io.omnistream.gpu.router;

import static io.omnistream.gpu.testutils.GpuAssumptions.assumeGpu;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.gpu.Kernels;
import io.omnistream.gpu.attention.Modality;
import io.omnistream.gpu.testutils.Compare;
import io.omnistream.gpu.testutils.Signals;
import org.junit.jupiter.api.Test;

/** Twin behaviour on the CPU; the GPU result must be identical (pure comparisons). */
class TopKGateTest {

    private final TopKGateTwin twin = new TopKGateTwin();

    @Test
    void keepsTheKHighestPairsAndSkipsExcludedOnes() {
        float[] scores = new float[16];
        java.util.Arrays.fill(scores, -1f);
        scores[Modality.AUDIO.ordinal() * 4 + Modality.LIPS.ordinal()] = 5f;
        scores[Modality.TEXT.ordinal() * 4 + Modality.SCREEN.ordinal()] = 3f;
        scores[0] = Float.NaN;
        scores[15] = Float.POSITIVE_INFINITY;
        scores[13] = Float.NEGATIVE_INFINITY;
        int[] gates = new int[1];
        twin.select(scores, 1, 3, gates);
        assertThat(gates[0]).isEqualTo((1 << 15) | Modality.gate(Modality.AUDIO, Modality.LIPS)
                | Modality.gate(Modality.TEXT, Modality.SCREEN));
    }

    @Test
    void tiesGoToTheLowerPairAndKBeyondValidPairsStops() {
        float[] scores = new float[16];
        java.util.Arrays.fill(scores, Float.NEGATIVE_INFINITY);
        scores[3] = 1f;
        scores[9] = 1f;
        scores[12] = 1f;
        int[] gates = new int[1];
        twin.select(scores, 1, 2, gates);
        assertThat(gates[0]).isEqualTo((1 << 3) | (1 << 9));
        twin.select(scores, 1, 16, gates);
        assertThat(gates[0]).isEqualTo((1 << 3) | (1 << 9) | (1 << 12));
        twin.select(scores, 1, 0, gates);
        assertThat(gates[0]).isZero();
    }

    @Test
    void gpuSelectsTheSamePairsAsTheTwin() {
        assumeGpu();
        int n = 10_000;
        float[] scores = Signals.uniform(n * 16, 11, -1f, 1f);
        for (int i = 0; i < scores.length; i += 7) {
            scores[i] = Math.round(scores[i] * 2) / 2f; // ties
        }
        scores[5] = Float.NaN;
        scores[6] = Float.NEGATIVE_INFINITY;
        for (int k : new int[] {0, 1, 4, 16}) {
            int[] g = new int[n];
            int[] t = new int[n];
            try (TopKGate gpu = Kernels.topKGate()) {
                assertThat(gpu.onGpu()).isTrue();
                gpu.select(scores, n, k, g);
            }
            twin.select(scores, n, k, t);
            Compare.sameInts("k=" + k, g, t);
        }
    }
}
