package io.omnistream.gpu.image;

import static io.omnistream.gpu.testutils.GpuAssumptions.assumeGpu;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.omnistream.gpu.Kernels;
import io.omnistream.gpu.testutils.Compare;
import io.omnistream.gpu.testutils.Signals;
import org.junit.jupiter.api.Test;

/** Twin behaviour on the CPU; GPU equality within 1e-4 (fused multiply-adds differ in the last bits). */
class FrameResizerTest {

    private final FrameResizerTwin twin = new FrameResizerTwin();

    private static byte[] solid(int w, int h, int y, int u, int v) {
        byte[] f = new byte[ResizeBatch.i420Bytes(w, h)];
        java.util.Arrays.fill(f, 0, w * h, (byte) y);
        int c = ((w + 1) / 2) * ((h + 1) / 2);
        java.util.Arrays.fill(f, w * h, w * h + c, (byte) u);
        java.util.Arrays.fill(f, w * h + c, f.length, (byte) v);
        return f;
    }

    @Test
    void blazeFaceInputOfARedFrameIsRedInMinusOneToOne() {
        ResizeBatch b = ResizeBatch.blazeFace();
        b.add(solid(320, 240, 81, 90, 240), 320, 240);
        float[] out = new float[b.outputFloats()];
        twin.resize(b, out);
        assertThat(out).hasSize(128 * 128 * 3);
        for (int p = 0; p < 128 * 128; p++) {
            assertThat(out[p * 3]).isCloseTo(0.995f, within(0.01f));
            assertThat(out[p * 3 + 1]).isEqualTo(-1f);
            assertThat(out[p * 3 + 2]).isEqualTo(-1f);
        }
    }

    @Test
    void mouthCropAtIntegerOffsetsCopiesLumaExactly() {
        int w = 200;
        int h = 150;
        byte[] f = Signals.i420Pattern(w, h, 3);
        ResizeBatch b = ResizeBatch.mouth(88);
        b.add(f, 0, w, h, 10, 20, 88, 88);
        float[] out = new float[b.outputFloats()];
        twin.resize(b, out);
        for (int y = 0; y < 88; y++) {
            for (int x = 0; x < 88; x++) {
                assertThat(out[y * 88 + x]).isEqualTo((f[(20 + y) * w + 10 + x] & 0xff) * (1f / 255f));
            }
        }
    }

    @Test
    void itemsOfABatchDoNotInfluenceEachOther() {
        byte[] a = Signals.i420Pattern(64, 48, 1);
        byte[] c = Signals.i420Pattern(161, 97, 2);
        ResizeBatch alone = ResizeBatch.blazeFace();
        alone.add(c, 0, 161, 97, -5, 3, 120, 90);
        float[] o1 = new float[alone.outputFloats()];
        twin.resize(alone, o1);
        ResizeBatch both = ResizeBatch.blazeFace();
        both.add(a, 64, 48);
        both.add(c, 0, 161, 97, -5, 3, 120, 90);
        float[] o2 = new float[both.outputFloats()];
        twin.resize(both, o2);
        Compare.sameFloats("second item", java.util.Arrays.copyOfRange(o2, both.itemFloats(), 2 * both.itemFloats()), o1);
    }

    @Test
    void rejectsTruncatedFramesAndEmptyBoxes() {
        ResizeBatch b = ResizeBatch.blazeFace();
        assertThatThrownBy(() -> b.add(new byte[100], 640, 480)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.add(solid(8, 8, 0, 0, 0), 0, 8, 8, 0, 0, 0, 4))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(b.size()).isZero();
    }

    @Test
    void gpuMatchesTheTwinForFacesAndMouths() {
        assumeGpu();
        int[][] sizes = {{640, 480}, {320, 240}, {1280, 720}, {161, 97}, {2, 2}};
        for (ResizeBatch b : new ResizeBatch[] {ResizeBatch.blazeFace(), ResizeBatch.mouth(88)}) {
            for (int i = 0; i < 40; i++) {
                int[] s = sizes[i % sizes.length];
                byte[] f = Signals.i420Pattern(s[0], s[1], i);
                b.add(f, 0, s[0], s[1], (i % 7) * 9 - 10, (i % 5) * 7 - 5, s[0] * (0.3f + (i % 4) * 0.25f),
                        s[1] * (0.4f + (i % 3) * 0.3f));
            }
            float[] g = new float[b.outputFloats()];
            float[] t = new float[b.outputFloats()];
            try (FrameResizer gpu = Kernels.frameResizer()) {
                assertThat(gpu.onGpu()).isTrue();
                gpu.resize(b, g);
                gpu.resize(ResizeBatch.mouth(88), new float[0]);
            }
            twin.resize(b, t);
            assertThat(Compare.maxAbsDiff(g, t)).as("%s", b.mode()).isLessThanOrEqualTo(1e-4);
        }
    }
}
