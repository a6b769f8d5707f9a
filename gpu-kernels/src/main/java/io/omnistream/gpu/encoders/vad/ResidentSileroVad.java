package io.omnistream.gpu.encoders.vad;

import java.nio.FloatBuffer;

/**
 * A {@link SileroVadEncoder} that keeps every session's recurrent state — its {@value #CONTEXT} context samples and
 * (h, c) — in a slot of its own between steps, so a step takes only each session's {@value #CHUNK} new samples in and
 * gives only the probabilities back. It exists for the GPU, where moving windows and states across PCIe every step
 * costs more than the network itself ({@link SileroVadCuda}); {@link SileroVadTwin} implements the same contract on
 * the host so that the callers' slot bookkeeping (first use, restore, checkpoints, release) is tested without a GPU.
 *
 * <p>A caller reserves slots ({@link #reserveSessions}), writes a session's state into its slot on first use or after a
 * restore ({@link #writeSessions}), fills {@link #chunkInput} and calls {@link #stepResident}, and reads the states
 * back ({@link #readSessions}) whenever they must be kept elsewhere, e.g. before a checkpoint barrier. A resident
 * step advances a slot exactly as {@link #step} advances a caller's window and state.
 */
public interface ResidentSileroVad extends SileroVadEncoder {

    /**
     * Makes room for sessions in slots {@code 0 .. capacity-1}; slots that already exist keep their state, new ones
     * start as a fresh session (zero state and context). Never shrinks.
     */
    void reserveSessions(int capacity);

    /** Slots available without {@link #reserveSessions}. */
    int sessionCapacity();

    /**
     * The buffer the caller fills with the next chunk of each of {@code n} sessions before {@link #stepResident}: row
     * {@code r}'s {@value #CHUNK} samples at {@code [r * CHUNK, (r + 1) * CHUNK)}. Valid until the next call of this
     * method with a larger {@code n}.
     */
    FloatBuffer chunkInput(int n);

    /**
     * One step for {@code n} resident sessions: row {@code r} is slot {@code slots[r]} (distinct, below
     * {@link #sessionCapacity}) with the chunk written at row {@code r} of {@link #chunkInput}.
     */
    void stepResident(int[] slots, int n, float[] probOut);

    /**
     * Copies the state of sessions {@code slots[0..n)} out: row {@code r}'s (h, c) into {@code hc[r * STATE ..]} and its
     * context into {@code context[r * CONTEXT ..]}, bit for bit.
     */
    void readSessions(int[] slots, int n, float[] hc, float[] context);

    /** Sets the state of sessions {@code slots[0..n)} (the layout of {@link #readSessions}), e.g. restored from Flink state. */
    void writeSessions(int[] slots, int n, float[] hc, float[] context);

    /** The capacity {@link #reserveSessions} allocates: at least half again, so that growing one session at a time is cheap. */
    static int grownCapacity(int capacity, int requested) {
        return Math.max(requested, capacity + capacity / 2);
    }

    /** Checks the arrays of {@link #readSessions} / {@link #writeSessions}; shared so every implementation fails alike. */
    static void checkRecords(int[] slots, int n, float[] hc, float[] context) {
        if (n < 0 || slots.length < n || hc.length < (long) n * STATE || context.length < (long) n * CONTEXT) {
            throw new IllegalArgumentException("n = " + n + ": " + slots.length + " slots, " + hc.length + " state floats, "
                    + context.length + " context samples");
        }
    }

    /** Checks that {@code slots[0..n)} are below {@code capacity} and distinct (rows of one step must not share a slot). */
    static void checkSlots(int[] slots, int n, int capacity) {
        if (n < 0 || slots.length < n) {
            throw new IllegalArgumentException("n = " + n + ", " + slots.length + " slots");
        }
        java.util.BitSet seen = new java.util.BitSet(capacity);
        for (int r = 0; r < n; r++) {
            int s = slots[r];
            if (s < 0 || s >= capacity) {
                throw new IllegalArgumentException("slot " + s + " outside 0.." + (capacity - 1) + " (reserveSessions)");
            }
            if (seen.get(s)) {
                throw new IllegalArgumentException("slot " + s + " twice in one call");
            }
            seen.set(s);
        }
    }
}
