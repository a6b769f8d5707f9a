package io.omnistream.gpu.quant;

import static io.omnistream.gpu.testutils.GpuAssumptions.assumeGpu;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.omnistream.gpu.Kernels;
import io.omnistream.gpu.testutils.Compare;
import io.omnistream.gpu.testutils.Signals;
import org.junit.jupiter.api.Test;

/** Twin behaviour on the CPU; GPU equality is exact (same IEEE division and round-half-even). */
class Int8QuantizerTest {

    private final Int8QuantizerTwin twin = new Int8QuantizerTwin();

    @Test
    void roundTripErrorIsAtMostHalfAStepPerToken() {
        int rows = 50;
        int dim = 256;
        float[] x = Signals.gaussian(rows * dim, 5, 2.0);
        byte[] q = new byte[rows * dim];
        float[] s = new float[rows];
        twin.quantize(x, rows, dim, q, s);
        float[] back = new float[rows * dim];
        twin.dequantize(q, s, rows, dim, back);
        for (int r = 0; r < rows; r++) {
            boolean hitsLimit = false;
            for (int i = 0; i < dim; i++) {
                assertThat(Math.abs(back[r * dim + i] - x[r * dim + i])).isLessThanOrEqualTo(s[r] * 0.5f * 1.0001f);
                hitsLimit |= Math.abs(q[r * dim + i]) == 127;
            }
            assertThat(hitsLimit).as("the largest value maps to +-127").isTrue();
        }
    }

    @Test
    void zeroRowHasZeroScaleAndZeroCodes() {
        byte[] q = new byte[8];
        float[] s = {7f};
        twin.quantize(new float[8], 1, 8, q, s);
        assertThat(s[0]).isZero();
        assertThat(q).containsOnly((byte) 0);
    }

    @Test
    void roundsHalfToEven() {
        float[] x = {127f, 0.5f, 1.5f, -2.5f};
        byte[] q = new byte[4];
        float[] s = new float[1];
        twin.quantize(x, 1, 4, q, s);
        assertThat(s[0]).isEqualTo(1f);
        assertThat(q).containsExactly(127, 0, 2, -2);
    }

    @Test
    void rejectsArraysThatDoNotFitTheShape() {
        assertThatThrownBy(() -> twin.quantize(new float[10], 2, 8, new byte[16], new float[2]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void gpuQuantisationEqualsTheTwinExactly() {
        assumeGpu();
        for (int dim : new int[] {256, 100, 1024, 512}) {
            int rows = 3001;
            float[] x = Signals.gaussian(rows * dim, dim, 3.0);
            java.util.Arrays.fill(x, 0, dim, 0f);
            byte[] qg = new byte[rows * dim];
            byte[] qt = new byte[rows * dim];
            float[] sg = new float[rows];
            float[] st = new float[rows];
            float[] dg = new float[rows * dim];
            float[] dt = new float[rows * dim];
            // dim 512 runs the grid-stride path with a tiny grid (each warp walks many rows)
            try (Int8Quantizer gpu = dim == 512
                    ? new Int8QuantizerCuda(io.omnistream.gpu.runtime.GpuRuntime.newContext(), 3)
                    : Kernels.int8Quantizer()) {
                assertThat(gpu.onGpu()).isTrue();
                gpu.quantize(x, rows, dim, qg, sg);
                gpu.dequantize(qg, sg, rows, dim, dg);
                gpu.quantize(x, 0, dim, qg, sg);
            }
            twin.quantize(x, rows, dim, qt, st);
            twin.dequantize(qt, st, rows, dim, dt);
            Compare.sameFloats("scales, dim " + dim, sg, st);
            Compare.sameBytes("codes, dim " + dim, qg, qt);
            Compare.sameFloats("dequantised, dim " + dim, dg, dt);
        }
    }
}
