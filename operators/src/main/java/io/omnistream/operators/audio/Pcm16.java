package io.omnistream.operators.audio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * PCM16 little-endian mono decoding and frame energy: the one place that turns the aligner's audio
 * bytes into floats, so every perception stage sees the same scaling ([-1, 1), divide by 32768).
 */
public final class Pcm16 {
    /** Energy reported for an all-zero (or empty) tick, in dBFS. */
    public static final float SILENCE_FLOOR_DB = -100f;

    private Pcm16() {}

    public static float[] toFloats(ByteBuffer pcm) {
        ByteBuffer b = pcm.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = b.remaining() / 2;
        float[] out = new float[n];
        int p = b.position();
        for (int i = 0; i < n; i++) {
            out[i] = b.getShort(p + 2 * i) / 32768f;
        }
        return out;
    }

    public static byte[] toBytes(short[] samples, int offset, int length) {
        ByteBuffer b = ByteBuffer.allocate(length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < length; i++) {
            b.putShort(samples[offset + i]);
        }
        return b.array();
    }

    /** RMS energy in dBFS, floored at {@link #SILENCE_FLOOR_DB}; non-finite samples count as zero. */
    public static float energyDb(float[] x) {
        if (x.length == 0) {
            return SILENCE_FLOOR_DB;
        }
        double sum = 0;
        for (float v : x) {
            if (Float.isFinite(v)) {
                sum += (double) v * v;
            }
        }
        double rms = Math.sqrt(sum / x.length);
        if (rms <= 1e-5) {
            return SILENCE_FLOOR_DB;
        }
        return (float) Math.max(SILENCE_FLOOR_DB, 20 * Math.log10(rms));
    }

    /** Replaces NaN/inf (which float paths could produce) by 0 and clamps to [-1, 1]; returns how many were replaced. */
    public static int sanitize(float[] x) {
        int bad = 0;
        for (int i = 0; i < x.length; i++) {
            float v = x[i];
            if (!Float.isFinite(v)) {
                x[i] = 0f;
                bad++;
            } else if (v > 1f) {
                x[i] = 1f;
            } else if (v < -1f) {
                x[i] = -1f;
            }
        }
        return bad;
    }
}
