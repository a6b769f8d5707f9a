package io.omnistream.gpu.attention;

/**
 * Pure-Java {@link GatedAttention}: the element-level definition, computed directly in double precision over the
 * fp16-rounded inputs. The specification of kernel {@code omni_gated_attention}, whose block skipping is only an
 * optimisation of this.
 */
public final class GatedAttentionTwin implements GatedAttention {

    @Override
    public void compute(AttentionBatch batch, float[] q, float[] k, float[] v, float[] out, float scale) {
        GatedAttention.check(batch, q, k, v, out);
        final int d = AttentionBatch.HEAD_DIM;
        int heads = batch.heads();
        q = rounded(q, batch.tensorFloats());
        k = rounded(k, batch.tensorFloats());
        v = rounded(v, batch.tensorFloats());
        for (int s = 0; s < batch.sequences(); s++) {
            int start = batch.sequenceStart(s);
            int len = batch.sequenceLength(s);
            int gate = batch.gate(s);
            int[] seg = new int[len];
            for (int t = 0; t < len; t++) {
                seg[t] = batch.segmentOf(s, t);
            }
            double[] scores = new double[len];
            double[] acc = new double[d];
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < len; i++) {
                    int qo = ((start + i) * heads + h) * d;
                    int allow = (gate >> (seg[i] * 4)) & 0xF;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < len; j++) {
                        if (((allow >> seg[j]) & 1) == 0) {
                            scores[j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        int ko = ((start + j) * heads + h) * d;
                        double dot = 0;
                        for (int c = 0; c < d; c++) {
                            dot += (double) q[qo + c] * k[ko + c];
                        }
                        scores[j] = dot * scale;
                        max = Math.max(max, scores[j]);
                    }
                    java.util.Arrays.fill(acc, 0);
                    if (max == Double.NEGATIVE_INFINITY) {
                        for (int c = 0; c < d; c++) {
                            out[qo + c] = 0f;
                        }
                        continue;
                    }
                    double sum = 0;
                    for (int j = 0; j < len; j++) {
                        if (scores[j] == Double.NEGATIVE_INFINITY) {
                            continue;
                        }
                        double p = Math.exp(scores[j] - max);
                        sum += p;
                        int vo = ((start + j) * heads + h) * d;
                        for (int c = 0; c < d; c++) {
                            acc[c] += p * v[vo + c];
                        }
                    }
                    for (int c = 0; c < d; c++) {
                        out[qo + c] = Half.round((float) (acc[c] / sum));
                    }
                }
            }
        }
    }

    private static float[] rounded(float[] x, int n) {
        float[] r = new float[n];
        for (int i = 0; i < n; i++) {
            r[i] = Half.round(x[i]);
        }
        return r;
    }
}
