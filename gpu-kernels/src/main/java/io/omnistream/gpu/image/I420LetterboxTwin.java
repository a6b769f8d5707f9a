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
    public static final float NORM = LetterboxSampler.NORM;
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
        int cw = (w + 1) / 2;
        int uOff = off + w * g.height();
        int vOff = uOff + cw * ((g.height() + 1) / 2);
        LetterboxSampler.letterbox((x, y) -> {
            float yy = 1.164f * ((src[off + y * w + x] & 0xff) - 16f);
            int c = (y >> 1) * cw + (x >> 1);
            float u = (src[uOff + c] & 0xff) - 128f;
            float v = (src[vOff + c] & 0xff) - 128f;
            return round255(yy + 1.596f * v) << 16 | round255(yy - 0.813f * v - 0.391f * u) << 8 | round255(yy + 2.018f * u);
        }, g, out, outOff);
    }

    /** Clamped to 0…255 and rounded, as a decoder's 8-bit output is. */
    private static int round255(float x) {
        return (int) Math.floor(Math.min(Math.max(x, 0f), 255f) + 0.5f);
    }
}
