package io.omnistream.gpu.image;

/**
 * The letterbox both BlazeFace input twins share ({@link I420LetterboxTwin}, {@link RgbLetterboxTwin}): the
 * {@link Letterbox} geometry, area resampling of 8-bit RGB source pixels, black bars, NHWC {@code [128][128][3]},
 * value {@code v · 2/255 − 1}. Only where a source pixel's RGB comes from differs between them, so that is the
 * parameter; the float operations are those of the kernels {@code bf_i420_letterbox} and {@code bf_rgb_letterbox}, in
 * their order.
 */
final class LetterboxSampler {
    static final float NORM = 2f / 255f;
    private static final int SIZE = Letterbox.BLAZEFACE;

    /** The 8-bit RGB of one source picture, pixel by pixel. */
    @FunctionalInterface
    interface Rgb8Source {
        /** Pixel {@code (x, y)} as {@code 0xRRGGBB}. */
        int rgb(int x, int y);
    }

    private LetterboxSampler() {}

    /** The picture {@code src} with geometry {@code g} into {@code out[outOff …]} ({@code 128·128·3} floats). */
    static void letterbox(Rgb8Source src, Letterbox g, float[] out, int outOff) {
        int w = g.width();
        int h = g.height();
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
                    float rr = 0f;
                    float gg = 0f;
                    float bb = 0f;
                    for (int x = ix0; x < ix1; x++) {
                        float wx = Math.min(x1, (float) (x + 1)) - Math.max(x0, (float) x);
                        int p = src.rgb(x, y);
                        rr = rr + wx * (p >>> 16);
                        gg = gg + wx * ((p >>> 8) & 0xff);
                        bb = bb + wx * (p & 0xff);
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
}
