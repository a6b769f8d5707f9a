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
    private RgbLetterboxTwin() {}

    /** One picture into {@code out[outOff …]} ({@code 128·128·3} floats). */
    public static void letterbox(RgbPicture picture, float[] out, int outOff) {
        letterbox(picture.rgb(), 0, picture.letterbox(), out, outOff);
    }

    /** One picture at {@code src[off]} (RGB, {@code 3·w} bytes a row) with geometry {@code g} into {@code out[outOff …]}. */
    public static void letterbox(byte[] src, int off, Letterbox g, float[] out, int outOff) {
        int row = 3 * g.width();
        LetterboxSampler.letterbox((x, y) -> {
            int p = off + y * row + 3 * x;
            return (src[p] & 0xff) << 16 | (src[p + 1] & 0xff) << 8 | src[p + 2] & 0xff;
        }, g, out, outOff);
    }
}
