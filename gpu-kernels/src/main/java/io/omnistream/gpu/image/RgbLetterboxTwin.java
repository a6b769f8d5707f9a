package io.omnistream.gpu.image;

/**
 * Decoded camera pictures (interleaved 8-bit RGB) → BlazeFace input, in Java: the specification of kernel
 * {@code bf_rgb_letterbox} ({@code omni_encoders.cu}), which computes the same values in the same order (equal bit for
 * bit) for the JPEG path of {@code BlazeFaceCuda.detectJpeg}, where nvJPEG decodes the pictures on the device.
 *
 * <p>The same letterbox as {@link I420LetterboxTwin} (the operators' {@link Letterbox} geometry, area resampling,
 * black bars, NHWC {@code [128][128][3]}, value {@code v · 2/255 − 1}), without its colour conversion: a JPEG decoder
 * already gives RGB.
 */
public final class RgbLetterboxTwin {
    private static final int SIZE = Letterbox.BLAZEFACE;

    private RgbLetterboxTwin() {}

    /** One picture into {@code out[outOff …]} ({@code 128·128·3} floats). */
    public static void letterbox(RgbPicture picture, float[] out, int outOff) {
        letterbox(picture.rgb(), 0, picture.letterbox(), out, outOff);
    }

    /** One picture at {@code src[off]} (RGB, {@code 3·w} bytes a row) with geometry {@code g} into {@code out[outOff …]}. */
    public static void letterbox(byte[] src, int off, Letterbox g, float[] out, int outOff) {
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
                    int row = off + y * w * 3;
                    float rr = 0f;
                    float gg = 0f;
                    float bb = 0f;
                    for (int x = ix0; x < ix1; x++) {
                        float wx = Math.min(x1, (float) (x + 1)) - Math.max(x0, (float) x);
                        int p = row + 3 * x;
                        rr = rr + wx * (src[p] & 0xff);
                        gg = gg + wx * (src[p + 1] & 0xff);
                        bb = bb + wx * (src[p + 2] & 0xff);
                    }
                    r = r + wy * rr;
                    gr = gr + wy * gg;
                    b = b + wy * bb;
                }
                out[o] = r * g.invArea() * I420LetterboxTwin.NORM - 1f;
                out[o + 1] = gr * g.invArea() * I420LetterboxTwin.NORM - 1f;
                out[o + 2] = b * g.invArea() * I420LetterboxTwin.NORM - 1f;
            }
        }
    }
}
