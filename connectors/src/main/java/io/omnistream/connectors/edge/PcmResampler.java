package io.omnistream.connectors.edge;

/**
 * Streaming polyphase windowed-sinc resampler for 16-bit mono PCM between any two integer rates (48 kHz WebRTC
 * audio down to the 16 kHz the pipeline uses, and the agent's TTS rate up to 48 kHz). Stateful across calls, so
 * 10 ms frames resample without clicks at their borders. One instance per stream, not thread safe.
 */
public final class PcmResampler {
    private static final int TAPS_PER_PHASE = 24;

    private final int up;
    private final int down;
    private final float[] filter;
    private final float[] history;
    private long inCount;
    private long outCount;

    public PcmResampler(int inRate, int outRate) {
        if (inRate <= 0 || outRate <= 0) {
            throw new IllegalArgumentException("rates must be positive: " + inRate + " -> " + outRate);
        }
        int g = gcd(inRate, outRate);
        this.up = outRate / g;
        this.down = inRate / g;
        int n = TAPS_PER_PHASE * up;
        this.filter = new float[n];
        double fc = 0.5 / Math.max(up, down) * 0.92; // cycles per sample of the up-sampled stream
        double mid = (n - 1) / 2.0;
        for (int i = 0; i < n; i++) {
            double x = i - mid;
            double sinc = x == 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x);
            double w = 0.42 - 0.5 * Math.cos(2 * Math.PI * i / (n - 1)) + 0.08 * Math.cos(4 * Math.PI * i / (n - 1));
            filter[i] = (float) (sinc * w * up);
        }
        this.history = new float[TAPS_PER_PHASE];
    }

    /** Output samples produced for {@code inSamples} more input samples, given the current state. */
    public int outputFor(int inSamples) {
        long last = inCount + inSamples - 1;
        long maxOut = Math.floorDiv(last * up, down); // largest k with k*down/up <= last
        return (int) Math.max(0, maxOut + 1 - outCount);
    }

    /** Resamples {@code len} samples of {@code in}; returns the output samples (possibly none). */
    public short[] process(short[] in, int off, int len) {
        if (up == down) {
            return java.util.Arrays.copyOfRange(in, off, off + len); // same rate: exact passthrough, no delay
        }
        short[] out = new short[outputFor(len)];
        int h = history.length;
        float[] x = new float[h + len];
        System.arraycopy(history, 0, x, 0, h);
        for (int i = 0; i < len; i++) {
            x[h + i] = in[off + i];
        }
        long xStart = inCount - h; // global index of x[0]
        for (int k = 0; k < out.length; k++) {
            long p = (outCount + k) * down;
            long i = p / up;
            int phase = (int) (p % up);
            double acc = 0;
            for (int j = 0; j < TAPS_PER_PHASE; j++) {
                long idx = i - j - xStart;
                if (idx < 0) {
                    break;
                }
                acc += x[(int) idx] * filter[phase + j * up];
            }
            out[k] = (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, Math.round(acc)));
        }
        outCount += out.length;
        inCount += len;
        System.arraycopy(x, x.length - h, history, 0, h);
        return out;
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }
}
