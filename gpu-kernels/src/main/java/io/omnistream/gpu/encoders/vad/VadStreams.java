package io.omnistream.gpu.encoders.vad;

import java.io.Serializable;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Many sessions' audio streams through one {@link SileroVadEncoder}: each session's samples are cut into 512-sample
 * chunks (the remainder kept for the next call), and the chunks of all sessions are stepped together, one batch per
 * round — round {@code k} holds every session's {@code k}-th new chunk, since a session's chunks depend on each
 * other through the LSTM state. The per-session {@link State} is a POJO for Flink keyed state: restoring it resumes
 * a session exactly. With a {@link ResidentSileroVad} the recurrent state can instead stay in the encoder between calls
 * ({@link #processResident}; {@link #load} / {@link #save} move it in and out).
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
    private int[] rowSlots = new int[0];
    private long nonFiniteChunks;

    public VadStreams(SileroVadEncoder encoder) {
        this.encoder = encoder;
    }

    /** Whether {@link #processResident} can be used: the encoder keeps sessions' state in slots of its own. */
    public boolean resident() {
        return encoder instanceof ResidentSileroVad;
    }

    /**
     * Appends {@code samples[s]} (values in [-1, 1]) to session {@code s} for every session and runs all chunks
     * that became complete, batched across sessions.
     *
     * @return per session, the probabilities of its completed chunks in order (possibly none)
     */
    public float[][] process(State[] sessions, float[][] samples) {
        return run(null, sessions, samples);
    }

    /**
     * {@link #process} for sessions whose recurrent state lives in the encoder's slots ({@link ResidentSileroVad}):
     * session {@code s} is slot {@code slots[s]}. Only the incomplete chunk and the counters of {@code sessions[s]} are
     * kept up to date; its {@code hc} and {@code context} are those of the slot only after {@link #save} (and are put
     * into the slot by {@link #load}). Same results as {@link #process}.
     */
    public float[][] processResident(int[] slots, State[] sessions, float[][] samples) {
        if (slots.length != sessions.length) {
            throw new IllegalArgumentException(slots.length + " slots for " + sessions.length + " sessions");
        }
        residentEncoder().reserveSessions(maxSlot(slots) + 1);
        return run(slots, sessions, samples);
    }

    /** Puts the recurrent state of {@code sessions[i]} into slot {@code slots[i]} (first use, restore, fresh start). */
    public void load(int[] slots, State[] sessions) {
        ResidentSileroVad vad = residentEncoder();
        int n = sessions.length;
        vad.reserveSessions(maxSlot(slots) + 1);
        float[] h = new float[n * SileroVadEncoder.STATE];
        float[] ctx = new float[n * SileroVadEncoder.CONTEXT];
        for (int i = 0; i < n; i++) {
            sessions[i].ensureValid();
            System.arraycopy(sessions[i].hc, 0, h, i * SileroVadEncoder.STATE, SileroVadEncoder.STATE);
            System.arraycopy(sessions[i].context, 0, ctx, i * SileroVadEncoder.CONTEXT, SileroVadEncoder.CONTEXT);
        }
        vad.writeSessions(slots, n, h, ctx);
    }

    /** Copies the recurrent state of slot {@code slots[i]} into {@code sessions[i]} (before a checkpoint). */
    public void save(int[] slots, State[] sessions) {
        int n = sessions.length;
        float[] h = new float[n * SileroVadEncoder.STATE];
        float[] ctx = new float[n * SileroVadEncoder.CONTEXT];
        residentEncoder().readSessions(slots, n, h, ctx);
        for (int i = 0; i < n; i++) {
            sessions[i].ensureValid();
            System.arraycopy(h, i * SileroVadEncoder.STATE, sessions[i].hc, 0, SileroVadEncoder.STATE);
            System.arraycopy(ctx, i * SileroVadEncoder.CONTEXT, sessions[i].context, 0, SileroVadEncoder.CONTEXT);
        }
    }

    private ResidentSileroVad residentEncoder() {
        if (!(encoder instanceof ResidentSileroVad r)) {
            throw new IllegalStateException(encoder.getClass().getSimpleName() + " keeps no sessions");
        }
        return r;
    }

    private static int maxSlot(int[] slots) {
        int max = -1;
        for (int s : slots) {
            max = Math.max(max, s);
        }
        return max;
    }

    /** Both ways: {@code slots == null} moves windows and states through {@link SileroVadEncoder#step}. */
    private float[][] run(int[] slots, State[] sessions, float[][] samples) {
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
        prob = ensure(prob, n);
        if (slots == null) {
            windows = ensure(windows, n * SileroVadEncoder.WINDOW);
            hc = ensure(hc, n * SileroVadEncoder.STATE);
        } else if (rowSlots.length < n) {
            rowSlots = new int[n];
        }
        for (int round = 0; round < rounds; round++) {
            int rows = 0;
            FloatBuffer chunkRows = slots == null ? null : ((ResidentSileroVad) encoder).chunkInput(n);
            List<Integer> freshSlots = new ArrayList<>();
            for (int s = 0; s < n; s++) {
                if (chunksOf[s] <= round) {
                    continue;
                }
                State st = sessions[s];
                int take = SileroVadEncoder.CHUNK - st.pendingCount;
                // a whole chunk of the new samples goes to the resident encoder straight from the caller's array
                boolean direct = slots != null && st.pendingCount == 0;
                float[] chunk = direct ? samples[s] : st.pending;
                int chunkAt = direct ? consumed[s] : 0;
                if (!direct) {
                    System.arraycopy(samples[s], consumed[s], st.pending, st.pendingCount, take);
                }
                consumed[s] += take;
                st.pendingCount = 0;
                if (!allFinite(chunk, chunkAt, SileroVadEncoder.CHUNK)) {
                    // NaN/Inf samples poison only this session: it starts afresh, the chunk counts as silence.
                    Arrays.fill(st.hc, 0f);
                    Arrays.fill(st.context, 0f);
                    if (slots != null) {
                        freshSlots.add(slots[s]);
                    }
                    st.lastProbability = 0f;
                    st.chunks++;
                    out[s][round] = 0f;
                    nonFiniteChunks++;
                    continue;
                }
                if (slots == null) {
                    int base = rows * SileroVadEncoder.WINDOW;
                    System.arraycopy(st.context, 0, windows, base, SileroVadEncoder.CONTEXT);
                    System.arraycopy(st.pending, 0, windows, base + SileroVadEncoder.CONTEXT, SileroVadEncoder.CHUNK);
                    System.arraycopy(st.hc, 0, hc, rows * SileroVadEncoder.STATE, SileroVadEncoder.STATE);
                } else {
                    chunkRows.put(rows * SileroVadEncoder.CHUNK, chunk, chunkAt, SileroVadEncoder.CHUNK);
                    rowSlots[rows] = slots[s];
                }
                rowSession[rows++] = s;
            }
            if (slots == null) {
                encoder.step(windows, hc, prob, rows);
            } else {
                ResidentSileroVad vad = (ResidentSileroVad) encoder;
                if (!freshSlots.isEmpty()) {
                    int[] fresh = freshSlots.stream().mapToInt(Integer::intValue).toArray();
                    vad.writeSessions(fresh, fresh.length, new float[fresh.length * SileroVadEncoder.STATE],
                            new float[fresh.length * SileroVadEncoder.CONTEXT]);
                }
                vad.stepResident(rowSlots, rows, prob);
            }
            for (int r = 0; r < rows; r++) {
                int s = rowSession[r];
                State st = sessions[s];
                if (slots == null) {
                    System.arraycopy(st.pending, SileroVadEncoder.CHUNK - SileroVadEncoder.CONTEXT, st.context, 0,
                            SileroVadEncoder.CONTEXT);
                    System.arraycopy(hc, r * SileroVadEncoder.STATE, st.hc, 0, SileroVadEncoder.STATE);
                }
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

    /** Whether {@code a[from, from + len)} holds no NaN or infinity (x * 0 is NaN exactly for those; four sums vectorise). */
    private static boolean allFinite(float[] a, int from, int len) {
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        int i = from;
        int end = from + len;
        for (; i + 3 < end; i += 4) {
            s0 += a[i] * 0f;
            s1 += a[i + 1] * 0f;
            s2 += a[i + 2] * 0f;
            s3 += a[i + 3] * 0f;
        }
        for (; i < end; i++) {
            s0 += a[i] * 0f;
        }
        return s0 + s1 + s2 + s3 == 0f;
    }

    private static float[] ensure(float[] a, int n) {
        return a.length >= n ? a : new float[n];
    }
}
