package io.omnistream.gpu.image;

import java.util.Arrays;

/**
 * Many sessions' camera frames in I420 (the Y plane, then U, then V, each chroma plane {@code ceil(w/2)×ceil(h/2)}),
 * each of its own size, collected by reference for one batched call: nothing is copied until the batch is written
 * once into the pinned upload buffer ({@link #copyTo}). Exists so that the BlazeFace path on the GPU takes frames
 * as they come from the video decoder, without a per-frame float conversion on the host.
 */
public final class I420Frames {
    private byte[][] data = new byte[8][];
    private int[] offsets = new int[8];
    private int[] widths = new int[8];
    private int[] heights = new int[8];
    private long totalBytes;
    private int size;

    /** Adds a frame held in {@code i420} from index 0; returns its index in the batch. */
    public int add(byte[] i420, int width, int height) {
        return add(i420, 0, width, height);
    }

    /** Adds a frame held in {@code i420} from {@code offset}; the array must not change until the call that uses it returns. */
    public int add(byte[] i420, int offset, int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("frame size must be positive: " + width + "x" + height);
        }
        int bytes = ResizeBatch.i420Bytes(width, height);
        if (i420 == null || offset < 0 || i420.length - offset < bytes) {
            throw new IllegalArgumentException("I420 " + width + "x" + height + " needs " + bytes + " bytes, got "
                    + (i420 == null ? 0 : i420.length - offset));
        }
        if (totalBytes + bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("batch too large: more than 2 GiB of frames");
        }
        if (size == data.length) {
            int cap = size * 2;
            data = Arrays.copyOf(data, cap);
            offsets = Arrays.copyOf(offsets, cap);
            widths = Arrays.copyOf(widths, cap);
            heights = Arrays.copyOf(heights, cap);
        }
        data[size] = i420;
        offsets[size] = offset;
        widths[size] = width;
        heights[size] = height;
        totalBytes += bytes;
        return size++;
    }

    /** Empties the batch (drops the references). */
    public void clear() {
        Arrays.fill(data, 0, size, null);
        size = 0;
        totalBytes = 0;
    }

    public int size() {
        return size;
    }

    public int width(int i) {
        return widths[check(i)];
    }

    public int height(int i) {
        return heights[check(i)];
    }

    public byte[] data(int i) {
        return data[check(i)];
    }

    public int offset(int i) {
        return offsets[check(i)];
    }

    /** Bytes of all frames together. */
    public long totalBytes() {
        return totalBytes;
    }

    /** The letterbox that maps frame {@code i} onto a 128×128 BlazeFace input. */
    public Letterbox letterbox(int i) {
        return Letterbox.of(width(i), height(i), Letterbox.BLAZEFACE);
    }

    /** Bytes of frame {@code i}. */
    public int bytes(int i) {
        return ResizeBatch.i420Bytes(width(i), height(i));
    }

    /**
     * Per frame {@link Letterbox#META_INTS} ints of kernel metadata: the frame's byte offset when all frames lie back
     * to back in frame order, then its letterbox ({@code w, h, rw, rh, padX, padY} and the float bits of
     * {@code sx, sy, 1/(sx·sy)}).
     */
    public int[] meta() {
        int[] meta = new int[size * Letterbox.META_INTS];
        int at = 0;
        for (int i = 0; i < size; i++) {
            meta[i * Letterbox.META_INTS] = at;
            letterbox(i).writeMeta(meta, i * Letterbox.META_INTS + 1);
            at += bytes(i);
        }
        return meta;
    }

    /** Copies frames {@code [from, to)} into {@code dst} at the offsets of {@code meta} (absolute puts: thread-safe for disjoint ranges). */
    public void copyTo(java.nio.ByteBuffer dst, int[] meta, int from, int to) {
        for (int i = from; i < to; i++) {
            dst.put(meta[i * Letterbox.META_INTS], data[i], offsets[i], bytes(i));
        }
    }

    private int check(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("frame " + i + " of " + size);
        }
        return i;
    }
}
