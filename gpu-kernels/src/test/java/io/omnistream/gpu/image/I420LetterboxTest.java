package io.omnistream.gpu.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The I420 → BlazeFace input twin: the operators' letterbox geometry, black bars, the area resampling (an integer
 * factor is the plain mean of the source block), BT.601 colour, and bad frames refused.
 */
class I420LetterboxTest {
    private static final int S = 128;

    @Test
    void geometryIsTheOperatorsLetterbox() {
        assertThat(Letterbox.of(640, 480, S)).extracting(Letterbox::rw, Letterbox::rh, Letterbox::padX, Letterbox::padY)
                .containsExactly(128, 96, 0, 16);
        assertThat(Letterbox.of(1280, 720, S)).extracting(Letterbox::rw, Letterbox::rh, Letterbox::padX, Letterbox::padY)
                .containsExactly(128, 72, 0, 28);
        assertThat(Letterbox.of(480, 640, S)).extracting(Letterbox::rw, Letterbox::rh, Letterbox::padX, Letterbox::padY)
                .containsExactly(96, 128, 16, 0);
        // 251 * 128 / 333 = 96.48 -> 96 rows, (128 - 96) / 2 = 16 above
        assertThat(Letterbox.of(333, 251, S)).extracting(Letterbox::rw, Letterbox::rh, Letterbox::padX, Letterbox::padY)
                .containsExactly(128, 96, 0, 16);
        assertThat(Letterbox.of(640, 480, S).scale()).isEqualTo(0.2f);
    }

    @Test
    void uniformFrameFillsThePictureAndLeavesBlackBars() {
        for (int[] size : new int[][] {{333, 251}, {251, 333}, {640, 480}, {97, 61}}) {
            int w = size[0];
            int h = size[1];
            byte[] f = new byte[ResizeBatch.i420Bytes(w, h)];
            Arrays.fill(f, 0, w * h, (byte) 120);
            Arrays.fill(f, w * h, f.length, (byte) 128);
            I420Frames frames = new I420Frames();
            frames.add(f, w, h);
            float[] out = new float[S * S * 3];
            I420LetterboxTwin.letterbox(frames, out);
            Letterbox g = frames.letterbox(0);
            float inside = Math.round(1.164f * (120 - 16)) * (2f / 255f) - 1f; // 121 -> -0.0510
            for (int y = 0; y < S; y++) {
                for (int x = 0; x < S; x++) {
                    boolean in = x >= g.padX() && x < g.padX() + g.rw() && y >= g.padY() && y < g.padY() + g.rh();
                    for (int c = 0; c < 3; c++) {
                        float v = out[(y * S + x) * 3 + c];
                        if (in) {
                            assertThat((double) v).as("%dx%d at %d,%d", w, h, x, y).isCloseTo(inside, org.assertj.core.data.Offset.offset(1e-5));
                        } else {
                            assertThat(v).as("%dx%d bar at %d,%d", w, h, x, y).isEqualTo(-1f);
                        }
                    }
                }
            }
        }
    }

    @Test
    void integerFactorIsTheMeanOfTheSourceBlockInRgb() {
        int w = 640;
        int h = 480;
        byte[] f = new byte[ResizeBatch.i420Bytes(w, h)];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < f.length; i++) {
            f[i] = (byte) (i < w * h ? 16 + r.nextInt(220) : 60 + r.nextInt(136));
        }
        I420Frames frames = new I420Frames();
        frames.add(f, w, h);
        float[] out = new float[S * S * 3];
        I420LetterboxTwin.letterbox(frames, out);
        double worst = 0;
        double total = 0;
        for (int dy = 0; dy < 96; dy++) {
            for (int dx = 0; dx < 128; dx++) {
                double[] sum = new double[3];
                for (int y = dy * 5; y < dy * 5 + 5; y++) {
                    for (int x = dx * 5; x < dx * 5 + 5; x++) {
                        // exact: the BT.601 constants are multiples of 1/1000; values in thousandths, rounded half up
                        long yy = 1164L * ((f[y * w + x] & 0xff) - 16);
                        long u = (f[w * h + (y / 2) * (w / 2) + x / 2] & 0xff) - 128;
                        long v = (f[w * h + (w / 2) * (h / 2) + (y / 2) * (w / 2) + x / 2] & 0xff) - 128;
                        sum[0] += round255(yy + 1596 * v);
                        sum[1] += round255(yy - 813 * v - 391 * u);
                        sum[2] += round255(yy + 2018 * u);
                    }
                }
                for (int c = 0; c < 3; c++) {
                    double expected = sum[c] / 25 * 2 / 255 - 1;
                    double d = Math.abs(out[((dy + 16) * S + dx) * 3 + c] - expected);
                    worst = Math.max(worst, d);
                    total += d;
                }
            }
        }
        // A colour exactly half way between two levels (about 1 in 250 pixels: the constants are thousandths) may round
        // either way in the twin's float arithmetic: such a pixel moves its block's mean by 2/255/25.
        assertThat(worst).isLessThanOrEqualTo(3 * 2.0 / 255 / 25 + 1e-5);
        assertThat(total / (128 * 96 * 3)).isLessThanOrEqualTo(2e-5);
    }

    private static long round255(long thousandths) {
        long clamped = Math.max(0, Math.min(255_000, thousandths));
        return (clamped + 500) / 1000;
    }

    @Test
    void framesArePackedBackToBackWithTheirGeometry() {
        I420Frames frames = new I420Frames();
        byte[] a = new byte[ResizeBatch.i420Bytes(5, 3) + 7];
        byte[] b = new byte[ResizeBatch.i420Bytes(640, 480)];
        for (int i = 0; i < a.length; i++) {
            a[i] = (byte) i;
        }
        Arrays.fill(b, (byte) 9);
        frames.add(a, 7, 5, 3);
        frames.add(b, 640, 480);
        int[] meta = frames.meta();
        assertThat(meta).hasSize(2 * Letterbox.META_INTS);
        assertThat(meta[0]).isZero();
        assertThat(meta[Letterbox.META_INTS]).isEqualTo(frames.bytes(0)).isEqualTo(15 + 2 * 3 * 2);
        assertThat(Arrays.copyOfRange(meta, Letterbox.META_INTS + 1, Letterbox.META_INTS + 7)).containsExactly(640, 480, 128, 96, 0, 16);
        assertThat(Float.intBitsToFloat(meta[Letterbox.META_INTS + 7])).isEqualTo(5f);
        java.nio.ByteBuffer dst = java.nio.ByteBuffer.allocate((int) frames.totalBytes());
        frames.copyTo(dst, meta, 1, 2);
        frames.copyTo(dst, meta, 0, 1);
        assertThat(Arrays.copyOfRange(dst.array(), 0, frames.bytes(0))).isEqualTo(Arrays.copyOfRange(a, 7, a.length));
        assertThat(Arrays.copyOfRange(dst.array(), frames.bytes(0), dst.capacity())).isEqualTo(b);
    }

    @Test
    void badFramesAreRefused() {
        I420Frames frames = new I420Frames();
        assertThatThrownBy(() -> frames.add(new byte[10], 4, 4)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 24 bytes");
        assertThatThrownBy(() -> frames.add(new byte[10], 0, 4)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> frames.add(null, 2, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThat(frames.size()).isZero();
        frames.add(new byte[30], 4, 4, 4);
        assertThat(frames.totalBytes()).isEqualTo(24);
        frames.clear();
        assertThat(frames.size()).isZero();
        assertThat(frames.totalBytes()).isZero();
    }
}
