package io.omnistream.gpu.image;

/**
 * Camera frames in I420 → BlazeFace input, in Java: the specification of kernel {@code bf_i420_letterbox}
 * ({@code omni_encoders.cu}), which computes the same values in the same order (equal bit for bit) for the GPU path
 * of {@code BlazeFaceCuda.detectI420}.
 *
 * <p>Per frame: the {@link Letterbox} geometry of the operators' detector; every source pixel converted to RGB
 * (BT.601 limited range with the constants of {@link FrameResizerTwin}, chroma of its 2×2 cell, clamped and
 * rounded to an integer as a decoder's 8-bit output is); the {@code rw×rh} picture area-resampled (each output
 * pixel the coverage-weighted mean of the source pixels under it: OpenCV's {@code INTER_AREA} when shrinking, which
 * the operators use); outside it black; NHWC {@code [128][128][3]}, value {@code v · 2/255 − 1}. The one difference
 * from the OpenCV path: the resampled value is not rounded back to 8 bits (≤ 0.5/255 apart).
 */
public final class I420LetterboxTwin {
    public static final float NORM = 2f / 255f;
    private static final int SIZE = Letterbox.BLAZEFACE;

    private I420LetterboxTwin() {}

    /** All frames of {@code frames} into {@code out} ({@code frames.size() × 128·128·3} floats). */
    public static void letterbox(I420Frames frames, float[] out) {
        int per = SIZE * SIZE * 3;
        if (out.length < (long) frames.size() * per) {
            throw new IllegalArgumentException("out holds " + out.length + " floats, need " + (long) frames.size() * per);
        }
        for (int i = 0; i < frames.size(); i++) {
            letterbox(frames.data(i), frames.offset(i), frames.letterbox(i), out, i * per);
        }
    }

    /** One frame at {@code src[off]} with geometry {@code g} into {@code out[outOff …]}. */
    public static void letterbox(byte[] src, int off, Letterbox g, float[] out, int outOff) {
        int w = g.width();
        int h = g.height();
        int cw = (w + 1) / 2;
        int ch = (h + 1) / 2;
        int uOff = off + w * h;
        int vOff = uOff + cw * ch;
        float sx = g.sx();
        float sy = g.sy();
        for (int oy = 0; oy < SIZE; oy++) {
            for (int ox = 0; ox < SIZE; ox++) {
                int o = outOff + (oy * SIZE + ox) * 3;
                int dx = ox - g.padX();
                int dy = oy - g.padY();
                if (dx < 0 || dx >= g.rw() || dy < 0 || dy >= g.rh()) {
                    out[o] = -1f;
                    out[o + 1] = -1f;
                    out[o + 2] = -1f;
                    continue;
                }
                float x0 = dx * sx;
                float x1 = Math.min((dx + 1) * sx, (float) w);
                float y0 = dy * sy;
                float y1 = Math.min((dy + 1) * sy, (float) h);
                int ix0 = (int) x0;
                int ix1 = Math.min(w, (int) Math.ceil(x1));
                int iy0 = (int) y0;
                int iy1 = Math.min(h, (int) Math.ceil(y1));
                float r = 0f;
                float gr = 0f;
                float b = 0f;
                for (int y = iy0; y < iy1; y++) {
                    float wy = Math.min(y1, (float) (y + 1)) - Math.max(y0, (float) y);
                    int yr = off + y * w;
                    int ur = uOff + (y >> 1) * cw;
                    int vr = vOff + (y >> 1) * cw;
                    float rr = 0f;
                    float gg = 0f;
                    float bb = 0f;
                    for (int x = ix0; x < ix1; x++) {
                        float wx = Math.min(x1, (float) (x + 1)) - Math.max(x0, (float) x);
                        float yy = 1.164f * ((src[yr + x] & 0xff) - 16f);
                        float u = (src[ur + (x >> 1)] & 0xff) - 128f;
                        float v = (src[vr + (x >> 1)] & 0xff) - 128f;
                        float pr = round255(yy + 1.596f * v);
                        float pg = round255(yy - 0.813f * v - 0.391f * u);
                        float pb = round255(yy + 2.018f * u);
                        rr = rr + wx * pr;
                        gg = gg + wx * pg;
                        bb = bb + wx * pb;
                    }
                    r = r + wy * rr;
                    gr = gr + wy * gg;
                    b = b + wy * bb;
                }
                out[o] = r * g.invArea() * NORM - 1f;
                out[o + 1] = gr * g.invArea() * NORM - 1f;
                out[o + 2] = b * g.invArea() * NORM - 1f;
            }
        }
    }

    private static float round255(float x) {
        return (float) Math.floor(Math.min(Math.max(x, 0f), 255f) + 0.5f);
    }
}
