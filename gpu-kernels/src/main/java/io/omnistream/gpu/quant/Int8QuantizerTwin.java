package io.omnistream.gpu.quant;

/** Pure-Java {@link Int8Quantizer}: specification of kernels {@code omni_quant_int8} / {@code omni_dequant_int8}. */
public final class Int8QuantizerTwin implements Int8Quantizer {

    @Override
    public void quantize(float[] x, int rows, int dim, byte[] q, float[] scales) {
        Int8Quantizer.check(x.length, rows, dim, q.length, scales.length);
        for (int r = 0; r < rows; r++) {
            int base = r * dim;
            float amax = 0f;
            for (int i = 0; i < dim; i++) {
                amax = Math.max(amax, Math.abs(x[base + i]));
            }
            float s = amax / 127f;
            float inv = 127f / amax;
            scales[r] = s;
            for (int i = 0; i < dim; i++) {
                q[base + i] = s == 0f ? 0 : (byte) Math.max(-127f, Math.min(127f, (float) Math.rint(x[base + i] * inv)));
            }
        }
    }

    @Override
    public void dequantize(byte[] q, float[] scales, int rows, int dim, float[] out) {
        Int8Quantizer.check(out.length, rows, dim, q.length, scales.length);
        for (int r = 0; r < rows; r++) {
            int base = r * dim;
            for (int i = 0; i < dim; i++) {
                out[base + i] = q[base + i] * scales[r];
            }
        }
    }
}
