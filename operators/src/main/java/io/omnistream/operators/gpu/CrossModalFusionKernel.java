package io.omnistream.operators.gpu;

import io.omnistream.gpu.Kernels;
import io.omnistream.gpu.attention.AttentionBatch;
import io.omnistream.gpu.quant.Int8Quantizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The attention-level fusion of many sessions' windows in two launches: the gated cross-modal attention over the
 * packed batch ({@link GatedAttentionKernel}), then, after each modality segment's outputs are averaged into one
 * row, per-row int8 quantisation of all rows of the batch ({@link Int8Quantizer}). GPU when present, else the twins.
 */
public final class CrossModalFusionKernel implements BatchKernel<AttentionRequest, FusedFeatures> {
    private static final long serialVersionUID = 1L;

    private final GatedAttentionKernel attention = new GatedAttentionKernel();
    private transient Int8Quantizer quantizer;

    @Override
    public void open() {
        attention.open();
        quantizer = Kernels.int8Quantizer();
    }

    @Override
    public boolean onGpu() {
        return attention.onGpu() && quantizer != null && quantizer.onGpu();
    }

    @Override
    public int group(AttentionRequest r) {
        return attention.group(r);
    }

    @Override
    public void validate(AttentionRequest r) {
        attention.validate(r);
    }

    @Override
    public List<FusedFeatures> run(int group, List<AttentionRequest> batch) {
        List<AttentionResult> attended = attention.run(group, batch);
        int dim = batch.get(0).heads * AttentionBatch.HEAD_DIM;
        int rows = 0;
        for (AttentionResult a : attended) {
            rows += Integer.bitCount(presentModalities(a.segmentLengths));
        }
        float[] pooled = new float[rows * dim];
        int row = 0;
        for (AttentionResult a : attended) {
            int at = 0;
            for (int m = 0; m < 4; m++) {
                int n = a.segmentLengths[m];
                if (n == 0) {
                    continue;
                }
                int o = row * dim;
                for (int t = at; t < at + n; t++) {
                    for (int j = 0; j < dim; j++) {
                        pooled[o + j] += a.out[t * dim + j];
                    }
                }
                for (int j = 0; j < dim; j++) {
                    pooled[o + j] /= n;
                }
                at += n;
                row++;
            }
        }
        byte[] codes = new byte[rows * dim];
        float[] scales = new float[rows];
        quantizer.quantize(pooled, rows, dim, codes, scales);
        List<FusedFeatures> out = new ArrayList<>(batch.size());
        row = 0;
        for (int s = 0; s < batch.size(); s++) {
            AttentionRequest r = batch.get(s);
            AttentionResult a = attended.get(s);
            int present = presentModalities(a.segmentLengths);
            int n = Integer.bitCount(present);
            FusedFeatures f = new FusedFeatures();
            f.sessionId = r.sessionId;
            f.windowStartTick = r.windowStartTick;
            f.ticks = r.ticks;
            f.windowStartMicros = r.timeMicros;
            f.gate = a.gate;
            f.segmentTokens = a.segmentLengths.clone();
            f.rowModalities = new int[n];
            for (int m = 0, i = 0; m < 4; m++) {
                if ((present >> m & 1) != 0) {
                    f.rowModalities[i++] = m;
                }
            }
            f.dim = dim;
            f.codes = java.util.Arrays.copyOfRange(codes, row * dim, (row + n) * dim);
            f.scales = java.util.Arrays.copyOfRange(scales, row, row + n);
            f.gpu = a.gpu && quantizer.onGpu();
            out.add(f);
            row += n;
        }
        return out;
    }

    private static int presentModalities(int[] segmentLengths) {
        int m = 0;
        for (int i = 0; i < 4; i++) {
            if (segmentLengths[i] > 0) {
                m |= 1 << i;
            }
        }
        return m;
    }

    @Override
    public void close() {
        attention.close();
        if (quantizer != null) {
            quantizer.close();
        }
    }
}
