package io.omnistream.gpu.router;

/**
 * The router's gate: for each sequence, keeps the {@code k} highest of its 16 (query modality, key modality) pair
 * scores and returns them as a gate bit mask (bit {@code q*4+k}, see {@code io.omnistream.gpu.attention.Modality})
 * that {@code GatedAttention} consumes. NaN and -infinity scores are never selected (use -infinity for pairs that
 * must stay off, e.g. an absent modality); ties go to the lower pair index.
 */
public interface TopKGate extends AutoCloseable {

    int PAIRS = 16;

    void select(float[] scores, int nSeq, int k, int[] gatesOut);

    default boolean onGpu() {
        return false;
    }

    @Override
    default void close() {}

    static void check(float[] scores, int nSeq, int k, int[] gatesOut) {
        if (nSeq < 0 || k < 0) {
            throw new IllegalArgumentException("nSeq and k must be >= 0: " + nSeq + ", " + k);
        }
        if (scores.length < (long) nSeq * PAIRS || gatesOut.length < nSeq) {
            throw new IllegalArgumentException("arrays too small for " + nSeq + " sequences");
        }
    }
}
