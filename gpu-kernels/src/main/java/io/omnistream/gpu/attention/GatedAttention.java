package io.omnistream.gpu.attention;

/**
 * Modality-gated attention over an {@link AttentionBatch}: for every sequence, head and query token i,
 * {@code out_i = sum_j softmax_j(scale * q_i . k_j) v_j} over the keys j that the gates allow; a query with no
 * allowed key outputs zeros. Inputs are taken at fp16 precision (values are rounded to binary16), accumulation is
 * fp32 or better, the output is rounded to fp16. Arrays are {@code [totalTokens][heads][64]} floats.
 */
public interface GatedAttention extends AutoCloseable {

    float DEFAULT_SCALE = (float) (1.0 / Math.sqrt(AttentionBatch.HEAD_DIM));

    void compute(AttentionBatch batch, float[] q, float[] k, float[] v, float[] out, float scale);

    default void compute(AttentionBatch batch, float[] q, float[] k, float[] v, float[] out) {
        compute(batch, q, k, v, out, DEFAULT_SCALE);
    }

    default boolean onGpu() {
        return false;
    }

    @Override
    default void close() {}

    static void check(AttentionBatch batch, float[] q, float[] k, float[] v, float[] out) {
        int n = batch.tensorFloats();
        if (q.length < n || k.length < n || v.length < n || out.length < n) {
            throw new IllegalArgumentException("q, k, v and out must hold " + n + " floats");
        }
    }
}
