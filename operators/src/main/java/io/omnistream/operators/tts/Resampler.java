package io.omnistream.operators.tts;

/**
 * Streaming band-limited resampler (windowed-sinc interpolation) from espeak-ng's native 22050 Hz to
 * the agent audio rate. Input may arrive in pieces of any size; output comes as soon as enough
 * look-ahead is available, and {@link #flush()} drains the tail.
 */
public final class Resampler {
    private static final int HALF_TAPS = 12;

    private final double step; // input samples per output sample
    private final double cutoff; // normalised to the input rate (0.5 = Nyquist)
    private float[] in = new float[4096];
    private int inLen;
    private long inOffset; // absolute index of in[0]
    private double nextPos; // absolute input position of the next output sample

    public Resampler(int fromRate, int toRate) {
        this.step = (double) fromRate / toRate;
        this.cutoff = 0.5 * Math.min(1.0, (double) toRate / fromRate) * 0.95;
    }

    /** Adds input samples and returns the output samples that became computable. */
    public short[] process(short[] samples, int n) {
        ensure(inLen + n);
        for (int i = 0; i < n; i++) {
            in[inLen++] = samples[i];
        }
        return produce(false);
    }

    /** Returns the remaining output (input is treated as followed by silence). */
    public short[] flush() {
        ensure(inLen + HALF_TAPS + 1);
        for (int i = 0; i < HALF_TAPS + 1; i++) {
            in[inLen++] = 0f;
        }
        short[] out = produce(true);
        return out;
    }

    private short[] produce(boolean end) {
        long available = inOffset + inLen;
        int count = 0;
        for (double p = nextPos; p + HALF_TAPS + 1 < available; p += step) {
            count++;
        }
        short[] out = new short[count];
        for (int k = 0; k < count; k++) {
            out[k] = sample(nextPos);
            nextPos += step;
        }
        long keepFrom = (long) Math.floor(nextPos) - HALF_TAPS - 1;
        int drop = (int) Math.max(0, keepFrom - inOffset);
        if (drop > 0) {
            System.arraycopy(in, drop, in, 0, inLen - drop);
            inLen -= drop;
            inOffset += drop;
        }
        return out;
    }

    private short sample(double pos) {
        long center = (long) Math.floor(pos);
        double acc = 0;
        for (long j = center - HALF_TAPS + 1; j <= center + HALF_TAPS; j++) {
            int idx = (int) (j - inOffset);
            if (idx < 0 || idx >= inLen) {
                continue;
            }
            double x = pos - j;
            double w = 0.5 + 0.5 * Math.cos(Math.PI * x / (HALF_TAPS + 1));
            double sinc = x == 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
            acc += in[idx] * sinc * w;
        }
        long v = Math.round(acc);
        return (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, v));
    }

    private void ensure(int cap) {
        if (cap > in.length) {
            float[] n = new float[Math.max(cap, in.length * 2)];
            System.arraycopy(in, 0, n, 0, inLen);
            in = n;
        }
    }
}
