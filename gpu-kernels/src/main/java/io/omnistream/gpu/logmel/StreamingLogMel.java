package io.omnistream.gpu.logmel;

import java.io.Serializable;
import java.util.Arrays;

/**
 * One session's causal view of the {@link LogMel} front-end: it frames the incoming sample stream (frames of
 * {@value LogMel#N_FFT} samples every {@value LogMel#HOP}, keeping the unconsumed tail between chunks) and applies
 * Whisper's normalisation causally, {@code x = max(x, runningMax - 8); x = (x + 4) / 4}, where {@code runningMax} is
 * the largest log-mel value of every frame of the session so far, the current frame included.
 *
 * <p>Framing and normalisation are split from the spectral computation so that an operator can frame many sessions,
 * compute all their frames in one batched {@link LogMel#compute} call, and normalise each session's slice afterwards.
 * The session state ({@link State}) is a plain POJO for Flink keyed state. Not thread-safe.
 */
public final class StreamingLogMel {

    /** Normalisation constants of Whisper's {@code log_mel_spectrogram}. */
    public static final float DYNAMIC_RANGE = 8f;
    public static final float OFFSET = 4f;
    public static final float SCALE = 4f;

    /** Serialisable session state: the unconsumed samples, the running maximum and the frames produced. */
    public static final class State implements Serializable {
        private static final long serialVersionUID = 1L;
        public float[] tail = new float[0];
        public float runningMax = Float.NEGATIVE_INFINITY;
        public long frames;

        public State() {}

        public State(float[] tail, float runningMax, long frames) {
            this.tail = tail;
            this.runningMax = runningMax;
            this.frames = frames;
        }
    }

    private float[] buf = new float[LogMel.N_FFT * 4];
    private int bufLen;
    private float runningMax = Float.NEGATIVE_INFINITY;
    private long frames;

    public StreamingLogMel() {}

    public StreamingLogMel(State state) {
        restore(state);
    }

    /** Number of complete frames that appending {@code newSamples} samples would yield. */
    public int framesFor(int newSamples) {
        int total = bufLen + newSamples;
        return total < LogMel.N_FFT ? 0 : (total - LogMel.N_FFT) / LogMel.HOP + 1;
    }

    /**
     * Appends samples and writes every frame now complete into {@code framesOut}, starting at frame index
     * {@code frameOffset}. Returns the number of frames written ({@link #framesFor(int)}).
     */
    public int appendAndFrame(float[] samples, int off, int len, float[] framesOut, int frameOffset) {
        ensure(bufLen + len);
        System.arraycopy(samples, off, buf, bufLen, len);
        bufLen += len;
        return drain(framesOut, frameOffset);
    }

    /** As {@link #appendAndFrame} for little-endian signed 16-bit PCM bytes, scaled by 1/32768 like Whisper. */
    public int appendPcm16Le(byte[] pcm, int off, int len, float[] framesOut, int frameOffset) {
        if ((len & 1) != 0) {
            throw new IllegalArgumentException("PCM16 byte length must be even: " + len);
        }
        int n = len / 2;
        ensure(bufLen + n);
        for (int i = 0; i < n; i++) {
            int lo = pcm[off + 2 * i] & 0xff;
            int hi = pcm[off + 2 * i + 1];
            buf[bufLen + i] = (short) ((hi << 8) | lo) / 32768f;
        }
        bufLen += n;
        return drain(framesOut, frameOffset);
    }

    private int drain(float[] framesOut, int frameOffset) {
        int n = bufLen < LogMel.N_FFT ? 0 : (bufLen - LogMel.N_FFT) / LogMel.HOP + 1;
        if (framesOut.length < (long) (frameOffset + n) * LogMel.N_FFT) {
            throw new IllegalArgumentException("framesOut too small for " + n + " frames at offset " + frameOffset);
        }
        for (int f = 0; f < n; f++) {
            System.arraycopy(buf, f * LogMel.HOP, framesOut, (frameOffset + f) * LogMel.N_FFT, LogMel.N_FFT);
        }
        int consumed = n * LogMel.HOP;
        System.arraycopy(buf, consumed, buf, 0, bufLen - consumed);
        bufLen -= consumed;
        return n;
    }

    /**
     * Normalises {@code nFrames} log-mel frames in place, in order, updating the running maximum frame by frame.
     */
    public void normalise(float[] logMel, int frameOffset, int nFrames) {
        for (int f = 0; f < nFrames; f++) {
            int base = (frameOffset + f) * LogMel.N_MELS;
            float max = runningMax;
            for (int m = 0; m < LogMel.N_MELS; m++) {
                max = Math.max(max, logMel[base + m]);
            }
            runningMax = max;
            float floor = max - DYNAMIC_RANGE;
            for (int m = 0; m < LogMel.N_MELS; m++) {
                logMel[base + m] = (Math.max(logMel[base + m], floor) + OFFSET) / SCALE;
            }
        }
        frames += nFrames;
    }

    /**
     * Convenience for one session: frames {@code samples}, computes them with {@code kernel} and normalises.
     * Returns {@code nFrames * N_MELS} normalised values (possibly empty).
     */
    public float[] process(float[] samples, LogMel kernel) {
        int n = framesFor(samples.length);
        float[] fr = new float[n * LogMel.N_FFT];
        appendAndFrame(samples, 0, samples.length, fr, 0);
        float[] out = new float[n * LogMel.N_MELS];
        kernel.compute(fr, n, out, null);
        normalise(out, 0, n);
        return out;
    }

    /** Samples held back for the next frame (fewer than {@code N_FFT}; 240 when chunks are multiples of the hop). */
    public int tailLength() {
        return bufLen;
    }

    public float runningMax() {
        return runningMax;
    }

    public long frameCount() {
        return frames;
    }

    /** A copy of the session state, for Flink keyed state. */
    public State state() {
        return new State(Arrays.copyOf(buf, bufLen), runningMax, frames);
    }

    /** Replaces this session's state with {@code state} (copied). */
    public void restore(State state) {
        float[] tail = state.tail == null ? new float[0] : state.tail;
        ensure(tail.length);
        System.arraycopy(tail, 0, buf, 0, tail.length);
        bufLen = tail.length;
        runningMax = state.runningMax;
        frames = state.frames;
    }

    private void ensure(int n) {
        if (buf.length < n) {
            buf = Arrays.copyOf(buf, Math.max(n, buf.length * 2));
        }
    }
}
