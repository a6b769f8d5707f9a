package io.omnistream.operators.gpu;

import io.omnistream.gpu.Kernels;
import io.omnistream.gpu.quant.Int8Quantizer;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link BatchKernel} quantising many sessions' feature rows to int8 in one launch; sessions are grouped by
 * feature width ({@code dim}) so one batch is one dense {@code [rows][dim]} tensor.
 */
public final class Int8QuantizeKernel implements BatchKernel<FeatureRows, QuantizedFeatures> {
    private static final long serialVersionUID = 1L;

    private transient Int8Quantizer quantizer;

    @Override
    public void open() {
        quantizer = Kernels.int8Quantizer();
    }

    @Override
    public boolean onGpu() {
        return quantizer != null && quantizer.onGpu();
    }

    @Override
    public int group(FeatureRows r) {
        return r.dim;
    }

    @Override
    public void validate(FeatureRows r) {
        if (r.dim <= 0 || r.rows < 0 || r.values == null || r.values.length != r.rows * r.dim) {
            throw new IllegalArgumentException("feature rows of " + r.sessionId + " do not match " + r.rows + "x" + r.dim);
        }
        for (float v : r.values) {
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException("non-finite feature value in session " + r.sessionId);
            }
        }
    }

    @Override
    public List<QuantizedFeatures> run(int dim, List<FeatureRows> batch) {
        int rows = 0;
        for (FeatureRows r : batch) {
            rows += r.rows;
        }
        float[] x = new float[rows * dim];
        int at = 0;
        for (FeatureRows r : batch) {
            System.arraycopy(r.values, 0, x, at * dim, r.rows * dim);
            at += r.rows;
        }
        byte[] q = new byte[rows * dim];
        float[] s = new float[rows];
        quantizer.quantize(x, rows, dim, q, s);
        List<QuantizedFeatures> out = new ArrayList<>(batch.size());
        at = 0;
        for (FeatureRows r : batch) {
            QuantizedFeatures f = new QuantizedFeatures();
            f.sessionId = r.sessionId;
            f.timeMicros = r.timeMicros;
            f.rows = r.rows;
            f.dim = dim;
            f.codes = java.util.Arrays.copyOfRange(q, at * dim, (at + r.rows) * dim);
            f.scales = java.util.Arrays.copyOfRange(s, at, at + r.rows);
            f.gpu = quantizer.onGpu();
            out.add(f);
            at += r.rows;
        }
        return out;
    }

    @Override
    public void close() {
        if (quantizer != null) {
            quantizer.close();
        }
    }
}
