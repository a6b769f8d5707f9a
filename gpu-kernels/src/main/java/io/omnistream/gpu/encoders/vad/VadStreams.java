package io.omnistream.gpu.encoders.vad;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Many sessions' audio streams through one {@link SileroVadEncoder}: each session's samples are cut into 512-sample
 * chunks (the remainder kept for the next call), and the chunks of all sessions are stepped together, one batch per
 * round — round {@code k} holds every session's {@code k}-th new chunk, since a session's chunks depend on each
 * other through the LSTM state. The per-session {@link State} is a POJO for Flink keyed state: restoring it resumes
 * a session exactly.
 */
public final class VadStreams {

    /** One session's VAD state: LSTM (h, c), context samples, a not yet complete chunk, counters. */
    public static final class State implements Serializable {
        private static final long serialVersionUID = 1L;
        /** {@code h} then {@code c}, {@value SileroVadEncoder#STATE} floats. */
        public float[] hc = new float[SileroVadEncoder.STATE];
        /** The last {@value SileroVadEncoder#CONTEXT} samples of the previous chunk (zeros before the first). */
        public float[] context = new float[SileroVadEncoder.CONTEXT];
        /** Samples of the next chunk received so far ({@link #pendingCount} of them are valid). */
        public float[] pending = new float[SileroVadEncoder.CHUNK];
        public int pendingCount;
        public long chunks;
        public float lastProbability;

        public State() {}

        /** A deep copy (what a checkpoint holds). */
        public State copy() {
            State s = new State();
            s.hc = hc.clone();
            s.context = context.clone();
            s.pending = pending.clone();
            s.pendingCount = pendingCount;
            s.chunks = chunks;
            s.lastProbability = lastProbability;
            return s;
        }

        /** Repairs a state restored from an older or damaged snapshot (wrong array sizes) by starting afresh. */
        void ensureValid() {
            if (hc == null || hc.length != SileroVadEncoder.STATE || context == null || context.length != SileroVadEncoder.CONTEXT
                    || pending == null || pending.length != SileroVadEncoder.CHUNK || pendingCount < 0
                    || pendingCount > SileroVadEncoder.CHUNK) {
                hc = new float[SileroVadEncoder.STATE];
                context = new float[SileroVadEncoder.CONTEXT];
                pending = new float[SileroVadEncoder.CHUNK];
                pendingCount = 0;
            }
        }
    }

    private final SileroVadEncoder encoder;
    private float[] windows = new float[0];
    private float[] hc = new float[0];
    private float[] prob = new float[0];
    private long nonFiniteChunks;

    public VadStreams(SileroVadEncoder encoder) {
        this.encoder = encoder;
    }

    /**
     * Appends {@code samples[s]} (values in [-1, 1]) to session {@code s} for every session and runs all chunks
     * that became complete, batched across sessions.
     *
     * @return per session, the probabilities of its completed chunks in order (possibly none)
     */
    public float[][] process(State[] sessions, float[][] samples) {
        if (sessions.length != samples.length) {
            throw new IllegalArgumentException(sessions.length + " sessions but " + samples.length + " sample arrays");
        }
        int n = sessions.length;
        int[] chunksOf = new int[n];
        int rounds = 0;
        for (int s = 0; s < n; s++) {
            sessions[s].ensureValid();
            chunksOf[s] = (sessions[s].pendingCount + samples[s].length) / SileroVadEncoder.CHUNK;
            rounds = Math.max(rounds, chunksOf[s]);
        }
        float[][] out = new float[n][];
        for (int s = 0; s < n; s++) {
            out[s] = new float[chunksOf[s]];
        }
        int[] consumed = new int[n];
        int[] rowSession = new int[n];
        for (int round = 0; round < rounds; round++) {
            int rows = 0;
            windows = ensure(windows, n * SileroVadEncoder.WINDOW);
            hc = ensure(hc, n * SileroVadEncoder.STATE);
            prob = ensure(prob, n);
            for (int s = 0; s < n; s++) {
                if (chunksOf[s] <= round) {
                    continue;
                }
                State st = sessions[s];
                int take = SileroVadEncoder.CHUNK - st.pendingCount;
                System.arraycopy(samples[s], consumed[s], st.pending, st.pendingCount, take);
                consumed[s] += take;
                st.pendingCount = 0;
                if (!allFinite(st.pending)) {
                    // NaN/Inf samples poison only this session: it starts afresh, the chunk counts as silence.
                    Arrays.fill(st.hc, 0f);
                    Arrays.fill(st.context, 0f);
                    st.lastProbability = 0f;
                    st.chunks++;
                    out[s][round] = 0f;
                    nonFiniteChunks++;
                    continue;
                }
                int base = rows * SileroVadEncoder.WINDOW;
                System.arraycopy(st.context, 0, windows, base, SileroVadEncoder.CONTEXT);
                System.arraycopy(st.pending, 0, windows, base + SileroVadEncoder.CONTEXT, SileroVadEncoder.CHUNK);
                System.arraycopy(st.hc, 0, hc, rows * SileroVadEncoder.STATE, SileroVadEncoder.STATE);
                rowSession[rows++] = s;
            }
            encoder.step(windows, hc, prob, rows);
            for (int r = 0; r < rows; r++) {
                int s = rowSession[r];
                State st = sessions[s];
                System.arraycopy(st.pending, SileroVadEncoder.CHUNK - SileroVadEncoder.CONTEXT, st.context, 0, SileroVadEncoder.CONTEXT);
                System.arraycopy(hc, r * SileroVadEncoder.STATE, st.hc, 0, SileroVadEncoder.STATE);
                st.lastProbability = prob[r];
                st.chunks++;
                out[s][round] = prob[r];
            }
        }
        for (int s = 0; s < n; s++) {
            int rest = samples[s].length - consumed[s];
            System.arraycopy(samples[s], consumed[s], sessions[s].pending, sessions[s].pendingCount, rest);
            sessions[s].pendingCount += rest;
        }
        return out;
    }

    /** Chunks refused so far because they held NaN or infinite samples (for an operator's bad-input metric). */
    public long nonFiniteChunks() {
        return nonFiniteChunks;
    }

    private static boolean allFinite(float[] a) {
        for (float v : a) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    private static float[] ensure(float[] a, int n) {
        return a.length >= n ? a : new float[n];
    }
}
