package io.omnistream.gpu.quant;

/**
 * Per-token symmetric int8 quantisation of feature tensors (the article's 8-bit visual features): each row of
 * {@code dim} values gets {@code scale = max|x| / 127} and {@code q = clamp(rint(x * (127 / max|x|)), -127, 127)}
 * (float arithmetic, round half to even; a multiply by the row's inverse rather than a per-element division, which
 * made the kernel compute-bound); an all-zero row has scale 0 and q 0. Dequantisation is {@code q * scale}. Batched over rows (tokens of
 * many sessions).
 */
public interface Int8Quantizer extends AutoCloseable {

    void quantize(float[] x, int rows, int dim, byte[] q, float[] scales);

    void dequantize(byte[] q, float[] scales, int rows, int dim, float[] out);

    default boolean onGpu() {
        return false;
    }

    @Override
    default void close() {}

    static void check(int xLen, int rows, int dim, int qLen, int scalesLen) {
        if (rows < 0 || dim <= 0) {
            throw new IllegalArgumentException("bad shape rows=" + rows + " dim=" + dim);
        }
        long n = (long) rows * dim;
        if (xLen < n || qLen < n || scalesLen < rows) {
            throw new IllegalArgumentException("arrays too small for " + rows + "x" + dim);
        }
    }
}
