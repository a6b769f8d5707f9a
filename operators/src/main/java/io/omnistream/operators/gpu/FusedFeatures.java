package io.omnistream.operators.gpu;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The cross-modal attention stage's output for one session and window: for every modality that had tokens, the
 * attention output of its tokens averaged into one {@code dim}-value row ({@code dim = heads * 64}), quantised to
 * int8 per row with one scale (the article's int8 features; {@code value = code * scale}). Written to the
 * {@code omni.features} topic in the layout of {@link #toBytes()}. A Flink POJO.
 */
public class FusedFeatures {
    /** First byte of {@link #toBytes()}; bumped when the layout changes. */
    public static final byte FORMAT_VERSION = 1;

    public String sessionId;
    public long windowStartTick;
    public int ticks;
    /** Media-clock start of the window's first tick. */
    public long windowStartMicros;
    /** The gate mask the attention ran with (bit {@code q*4+k}; audio 0, lips 1, screen 2, text 3). */
    public int gate;
    /** Tokens per modality segment: audio, lips, screen, text. */
    public int[] segmentTokens;
    /** The modality of each row. */
    public int[] rowModalities;
    public int dim;
    /** rows x dim int8 codes, row after row. */
    public byte[] codes;
    public float[] scales;
    /** Whether the attention and the quantisation ran on a GPU (else the Java twins). */
    public boolean gpu;

    public FusedFeatures() {}

    public int rows() {
        return rowModalities == null ? 0 : rowModalities.length;
    }

    /** The dequantised value of row {@code r}, column {@code c}. */
    public float value(int r, int c) {
        return codes[r * dim + c] * scales[r];
    }

    /**
     * Big-endian: version byte, sessionId (modified UTF-8, as {@link DataOutputStream#writeUTF}), windowStartTick,
     * ticks, windowStartMicros, gate, 4 segment token counts, rows, dim, gpu flag, then per row its modality, its
     * scale (float) and its {@code dim} codes.
     */
    public byte[] toBytes() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + rows() * (dim + 8));
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(FORMAT_VERSION);
            out.writeUTF(sessionId);
            out.writeLong(windowStartTick);
            out.writeInt(ticks);
            out.writeLong(windowStartMicros);
            out.writeInt(gate);
            for (int m = 0; m < 4; m++) {
                out.writeInt(segmentTokens[m]);
            }
            out.writeInt(rows());
            out.writeInt(dim);
            out.writeBoolean(gpu);
            for (int r = 0; r < rows(); r++) {
                out.writeByte(rowModalities[r]);
                out.writeFloat(scales[r]);
                out.write(codes, r * dim, dim);
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads {@link #toBytes()}; throws {@link IllegalArgumentException} on another version or truncated bytes. */
    public static FusedFeatures fromBytes(byte[] b) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
            byte v = in.readByte();
            if (v != FORMAT_VERSION) {
                throw new IllegalArgumentException("fused features format " + v + ", expected " + FORMAT_VERSION);
            }
            FusedFeatures f = new FusedFeatures();
            f.sessionId = in.readUTF();
            f.windowStartTick = in.readLong();
            f.ticks = in.readInt();
            f.windowStartMicros = in.readLong();
            f.gate = in.readInt();
            f.segmentTokens = new int[4];
            for (int m = 0; m < 4; m++) {
                f.segmentTokens[m] = in.readInt();
            }
            int rows = in.readInt();
            f.dim = in.readInt();
            if (rows < 0 || rows > 4 || f.dim < 0 || f.dim > 4096) {
                throw new IllegalArgumentException("bad fused features shape " + rows + "x" + f.dim);
            }
            f.gpu = in.readBoolean();
            f.rowModalities = new int[rows];
            f.scales = new float[rows];
            f.codes = new byte[rows * f.dim];
            for (int r = 0; r < rows; r++) {
                f.rowModalities[r] = in.readByte();
                f.scales[r] = in.readFloat();
                in.readFully(f.codes, r * f.dim, f.dim);
            }
            return f;
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated fused features", e);
        }
    }
}
