package io.omnistream.gpu.image;

/**
 * How a {@code width×height} picture is fitted into a square model input of {@code size} pixels — the operators'
 * BlazeFace geometry ({@code BlazeFaceDetector.detect}): {@code scale = size / max(w, h)}, the picture resized to
 * {@code round(w·scale) × round(h·scale)} and centred with {@code (size − rw) / 2}, {@code (size − rh) / 2} pixels
 * of black before it. {@code sx = w / rw}, {@code sy = h / rh} are the source pixels per output pixel used by the
 * area resampling; detections map back with {@code (x − padX) / scale}.
 */
public record Letterbox(int width, int height, int size, float scale, int rw, int rh, int padX, int padY, float sx, float sy,
        float invArea) {

    public static final int BLAZEFACE = 128;
    /** Ints of kernel metadata per frame: the byte offset, then {@link #writeMeta}'s nine. */
    public static final int META_INTS = 10;

    public static Letterbox of(int width, int height, int size) {
        if (width <= 0 || height <= 0 || size <= 0) {
            throw new IllegalArgumentException("bad letterbox " + width + "x" + height + " -> " + size);
        }
        float scale = (float) size / Math.max(width, height);
        int rw = Math.max(1, Math.min(size, Math.round(width * scale)));
        int rh = Math.max(1, Math.min(size, Math.round(height * scale)));
        float sx = (float) width / rw;
        float sy = (float) height / rh;
        return new Letterbox(width, height, size, scale, rw, rh, (size - rw) / 2, (size - rh) / 2, sx, sy, 1f / (sx * sy));
    }

    /** w, h, rw, rh, padX, padY and the float bits of sx, sy, 1/(sx·sy), from {@code meta[at]} on. */
    void writeMeta(int[] meta, int at) {
        meta[at] = width;
        meta[at + 1] = height;
        meta[at + 2] = rw;
        meta[at + 3] = rh;
        meta[at + 4] = padX;
        meta[at + 5] = padY;
        meta[at + 6] = Float.floatToRawIntBits(sx);
        meta[at + 7] = Float.floatToRawIntBits(sy);
        meta[at + 8] = Float.floatToRawIntBits(invArea);
    }
}
