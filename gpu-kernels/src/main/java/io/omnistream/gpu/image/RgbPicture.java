package io.omnistream.gpu.image;

/**
 * A decoded camera picture as 8-bit interleaved RGB ({@code width × height × 3} bytes, rows back to back): what a JPEG
 * decoder gives, on the host ({@link JdkJpegDecoder}) or on the device (nvJPEG's {@code NVJPEG_OUTPUT_RGBI}). Exists so
 * that the host specification of the JPEG camera path ({@link RgbLetterboxTwin}) and the device path see the same
 * picture layout.
 */
public record RgbPicture(int width, int height, byte[] rgb) {
    /** Largest picture side decoded, on the host and on the device: a camera picture, not a poster. */
    public static final int MAX_SIDE = 8192;

    public RgbPicture {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("picture size must be positive: " + width + "x" + height);
        }
        if (rgb == null || rgb.length < 3L * width * height) {
            throw new IllegalArgumentException("RGB " + width + "x" + height + " needs " + 3L * width * height + " bytes, got "
                    + (rgb == null ? 0 : rgb.length));
        }
    }

    /** The letterbox that maps this picture onto a 128×128 BlazeFace input. */
    public Letterbox letterbox() {
        return Letterbox.of(width, height, Letterbox.BLAZEFACE);
    }

    /** Refuses sizes no camera sends (and that would need gigabytes to decode). */
    public static void checkSize(int w, int h) throws BadJpegException {
        if (w <= 0 || h <= 0 || w > MAX_SIDE || h > MAX_SIDE) {
            throw new BadJpegException("JPEG of " + w + "x" + h + " pixels (limit " + MAX_SIDE + " per side)");
        }
    }
}
