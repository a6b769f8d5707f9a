package io.omnistream.gpu.image;

import java.util.Arrays;

/**
 * Many sessions' I420 frames, each with a crop box, to be resized to one output size in one launch. Two uses:
 * BlazeFace input ({@link #blazeFace()}: whole frame, 128×128 RGB, NHWC, values in [-1, 1], matching the model's
 * {@code input:0} of shape 1×128×128×3) and the mouth region ({@link #mouth(int)}: a box per session, luma only,
 * values in [0, 1]). Sampling is bilinear with half-pixel centres ({@code align_corners=False}) and edge clamping;
 * RGB is BT.601 limited range. Frames are copied into one packed array so the batch uploads in one copy.
 */
public final class ResizeBatch {

    /** Output channels: RGB (3 per pixel, NHWC) or luma (1 per pixel). */
    public enum Mode {
        RGB(3), LUMA(1);

        public final int channels;

        Mode(int channels) {
            this.channels = channels;
        }
    }

    public static final int BLAZEFACE_SIZE = 128;
    public static final int DEFAULT_MOUTH_SIZE = 88;

    private final int outWidth;
    private final int outHeight;
    private final Mode mode;
    private final float scale;
    private final float bias;
    private byte[] data = new byte[0];
    private int dataLen;
    private int[] meta = new int[0];
    private float[] boxes = new float[0];
    private int size;

    /** Output value = sample / 255 * {@code scale} + {@code bias}. */
    public ResizeBatch(int outWidth, int outHeight, Mode mode, float scale, float bias) {
        if (outWidth <= 0 || outHeight <= 0) {
            throw new IllegalArgumentException("output size must be positive");
        }
        this.outWidth = outWidth;
        this.outHeight = outHeight;
        this.mode = mode;
        this.scale = scale;
        this.bias = bias;
    }

    public static ResizeBatch blazeFace() {
        return new ResizeBatch(BLAZEFACE_SIZE, BLAZEFACE_SIZE, Mode.RGB, 2f, -1f);
    }

    public static ResizeBatch mouth(int size) {
        return new ResizeBatch(size, size, Mode.LUMA, 1f, 0f);
    }

    /** Bytes of an I420 frame of this size. */
    public static int i420Bytes(int width, int height) {
        return width * height + 2 * ((width + 1) / 2) * ((height + 1) / 2);
    }

    /** Adds a whole frame; returns its index in the batch. */
    public int add(byte[] i420, int width, int height) {
        return add(i420, 0, width, height, 0f, 0f, width, height);
    }

    /**
     * Adds the box ({@code x, y, w, h} in luma pixels, may extend past the frame: edges are clamped) of an I420
     * frame starting at {@code offset}; returns its index in the batch.
     */
    public int add(byte[] i420, int offset, int width, int height, float x, float y, float w, float h) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("frame size must be positive: " + width + "x" + height);
        }
        int bytes = i420Bytes(width, height);
        if (offset < 0 || i420.length - offset < bytes) {
            throw new IllegalArgumentException("I420 " + width + "x" + height + " needs " + bytes + " bytes, got "
                    + (i420.length - offset));
        }
        if (!(w > 0 && h > 0) || !Float.isFinite(x) || !Float.isFinite(y) || !Float.isFinite(w) || !Float.isFinite(h)) {
            throw new IllegalArgumentException("bad crop box " + x + "," + y + "," + w + "," + h);
        }
        if (dataLen + (long) bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("batch too large");
        }
        if (data.length < dataLen + bytes) {
            data = Arrays.copyOf(data, Math.max(dataLen + bytes, data.length * 2));
        }
        System.arraycopy(i420, offset, data, dataLen, bytes);
        if (meta.length < (size + 1) * 3) {
            meta = Arrays.copyOf(meta, Math.max(3 * (size + 1), meta.length * 2));
            boxes = Arrays.copyOf(boxes, Math.max(4 * (size + 1), boxes.length * 2));
        }
        meta[size * 3] = dataLen;
        meta[size * 3 + 1] = width;
        meta[size * 3 + 2] = height;
        boxes[size * 4] = x;
        boxes[size * 4 + 1] = y;
        boxes[size * 4 + 2] = w;
        boxes[size * 4 + 3] = h;
        dataLen += bytes;
        return size++;
    }

    /** Empties the batch, keeping its buffers. */
    public void clear() {
        size = 0;
        dataLen = 0;
    }

    public int size() {
        return size;
    }

    /** Floats per item of the output. */
    public int itemFloats() {
        return outWidth * outHeight * mode.channels;
    }

    public int outputFloats() {
        return size * itemFloats();
    }

    public int outWidth() {
        return outWidth;
    }

    public int outHeight() {
        return outHeight;
    }

    public Mode mode() {
        return mode;
    }

    public float scale() {
        return scale;
    }

    public float bias() {
        return bias;
    }

    byte[] data() {
        return data;
    }

    int dataLength() {
        return dataLen;
    }

    int[] meta() {
        return meta;
    }

    float[] boxes() {
        return boxes;
    }
}
