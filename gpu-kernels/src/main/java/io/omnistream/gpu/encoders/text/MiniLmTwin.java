package io.omnistream.gpu.encoders.text;

import io.omnistream.gpu.quant.Int8QuantizerTwin;

/**
 * {@link TextEncoder} in plain Java, fp32, sentence by sentence: the specification the CUDA encoder is tested
 * against, checked itself against ONNX Runtime on the same model file. Written for clarity (fixed summation
 * order), not speed.
 */
public final class MiniLmTwin implements TextEncoder {
    private static final int D = DIM;

    private final MiniLmWeights w;
    private TextTokenizer tokenizer;
    private boolean ownsTokenizer;
    private final Int8QuantizerTwin quantizer = new Int8QuantizerTwin();

    public MiniLmTwin(MiniLmWeights weights) {
        this(weights, null);
    }

    /** {@code tokenizer} may be null: then the class path's is loaded on first use of {@link #encode(java.util.List)}. */
    public MiniLmTwin(MiniLmWeights weights, TextTokenizer tokenizer) {
        this.w = weights;
        this.tokenizer = tokenizer;
    }

    @Override
    public TextTokenizer tokenizer() {
        if (tokenizer == null) {
            tokenizer = TextTokenizer.fromClasspath();
            ownsTokenizer = true;
        }
        return tokenizer;
    }

    @Override
    public void encode(TokenBatch batch, float[] out) {
        TextEncoder.checkArgs(batch, out.length, D);
        for (int s = 0; s < batch.sentences(); s++) {
            float[] h = hiddenStates(batch.sentence(s));
            pool(h, batch.length(s), out, s * D);
        }
    }

    @Override
    public void encodeInt8(TokenBatch batch, byte[] codes, float[] scales) {
        TextEncoder.checkArgs(batch, codes.length, D);
        TextEncoder.checkArgs(batch, scales.length, 1);
        float[] f = new float[batch.sentences() * D];
        encode(batch, f);
        quantizer.quantize(f, batch.sentences(), D, codes, scales);
    }

    /** The model's {@code last_hidden_state} of one sentence: {@code [T][384]}. */
    public float[] hiddenStates(int[] ids) {
        int n = ids.length;
        float[] x = new float[n * D];
        for (int t = 0; t < n; t++) {
            int row = w.rowOf(ids[t]);
            for (int i = 0; i < D; i++) {
                x[t * D + i] = w.word[row * D + i] + w.type0[i] + w.position[t * D + i];
            }
            layerNorm(x, t * D, w.embLnG, w.embLnB);
        }
        float[] q = new float[n * D];
        float[] k = new float[n * D];
        float[] v = new float[n * D];
        float[] a = new float[n * D];
        float[] o = new float[n * D];
        float[] hdn = new float[n * FFN];
        float[] scores = new float[n];
        for (int l = 0; l < LAYERS; l++) {
            linear(x, n, D, w.wq[l], w.bq[l], D, q);
            linear(x, n, D, w.wk[l], w.bk[l], D, k);
            linear(x, n, D, w.wv[l], w.bv[l], D, v);
            for (int hd = 0; hd < HEADS; hd++) {
                int off = hd * HEAD_DIM;
                for (int i = 0; i < n; i++) {
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        float dot = 0;
                        for (int c = 0; c < HEAD_DIM; c++) {
                            dot += q[i * D + off + c] * k[j * D + off + c];
                        }
                        scores[j] = dot / w.attnDiv;
                        max = Math.max(max, scores[j]);
                    }
                    float sum = 0;
                    for (int j = 0; j < n; j++) {
                        scores[j] = (float) Math.exp(scores[j] - max);
                        sum += scores[j];
                    }
                    for (int c = 0; c < HEAD_DIM; c++) {
                        float acc = 0;
                        for (int j = 0; j < n; j++) {
                            acc += scores[j] * v[j * D + off + c];
                        }
                        a[i * D + off + c] = acc / sum;
                    }
                }
            }
            linear(a, n, D, w.wo[l], w.bo[l], D, o);
            for (int t = 0; t < n; t++) {
                for (int i = 0; i < D; i++) {
                    x[t * D + i] += o[t * D + i];
                }
                layerNorm(x, t * D, w.ln1G[l], w.ln1B[l]);
            }
            linear(x, n, D, w.w1[l], w.b1[l], FFN, hdn);
            for (int i = 0; i < hdn.length; i++) {
                hdn[i] = gelu(hdn[i]);
            }
            linear(hdn, n, FFN, w.w2[l], w.b2[l], D, o);
            for (int t = 0; t < n; t++) {
                for (int i = 0; i < D; i++) {
                    x[t * D + i] += o[t * D + i];
                }
                layerNorm(x, t * D, w.ln2G[l], w.ln2B[l]);
            }
        }
        return x;
    }

    /** Mean over the sentence's tokens, then L2 normalisation (sentence-transformers' Normalize, eps 1e-12). */
    static void pool(float[] h, int n, float[] out, int at) {
        double norm = 0;
        for (int i = 0; i < D; i++) {
            float s = 0;
            for (int t = 0; t < n; t++) {
                s += h[t * D + i];
            }
            float m = s / n;
            out[at + i] = m;
            norm += (double) m * m;
        }
        float inv = (float) (1.0 / Math.max(Math.sqrt(norm), 1e-12));
        for (int i = 0; i < D; i++) {
            out[at + i] *= inv;
        }
    }

    /** {@code out[r][o] = b[o] + sum_i x[r][i] * W[i][o]} with W in {@code [in][out]} (the ONNX MatMul layout). */
    private static void linear(float[] x, int rows, int in, float[] wt, float[] b, int outDim, float[] out) {
        float[] acc = new float[outDim];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(b, 0, acc, 0, outDim);
            for (int i = 0; i < in; i++) {
                float xi = x[r * in + i];
                int base = i * outDim;
                for (int o = 0; o < outDim; o++) {
                    acc[o] += xi * wt[base + o];
                }
            }
            System.arraycopy(acc, 0, out, r * outDim, outDim);
        }
    }

    private void layerNorm(float[] x, int at, float[] g, float[] b) {
        float mean = 0;
        for (int i = 0; i < D; i++) {
            mean += x[at + i];
        }
        mean /= D;
        float var = 0;
        for (int i = 0; i < D; i++) {
            float d = x[at + i] - mean;
            var += d * d;
        }
        var /= D;
        float inv = (float) (1.0 / Math.sqrt(var + w.eps));
        for (int i = 0; i < D; i++) {
            x[at + i] = (x[at + i] - mean) * inv * g[i] + b[i];
        }
    }

    /** Exact GELU, {@code 0.5 x (1 + erf(x / sqrt 2))}, as the graph's Erf nodes compute it. */
    static float gelu(float x) {
        return (float) (0.5 * x * (1.0 + erf(x / Math.sqrt(2.0))));
    }

    private static final double[] ERFC_C = {5.64188496988670089e-1, 8.88314979438837594, 6.61191906371416295e1,
        2.98635138197400131e2, 8.81952221241769090e2, 1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3,
        2.15311535474403846e-8};
    private static final double[] ERFC_D = {1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2,
        1.62138957456669019e3, 3.29079923573345963e3, 4.36261909014324716e3, 3.43936767414372164e3, 1.23033935480374942e3};

    /** erf to ~1e-15 (W. J. Cody's rational approximations, as in most libms); Java has none. */
    static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 0.46875) {
            double t = x * x;
            double top = (((0.185777706184603153 * t + 3.16112374387056560) * t + 113.864154151050156) * t
                    + 377.485237685302021) * t + 3209.37758913846947;
            double bot = (((t + 23.6012909523441209) * t + 244.024637934444173) * t + 1282.61652607737228) * t
                    + 2844.23683343917062;
            return x * top / bot;
        } else if (ax < 4.0) {
            double num = ERFC_C[8] * ax;
            double den = ax;
            for (int i = 0; i < 7; i++) {
                num = (num + ERFC_C[i]) * ax;
                den = (den + ERFC_D[i]) * ax;
            }
            r = 1.0 - Math.exp(-ax * ax) * (num + ERFC_C[7]) / (den + ERFC_D[7]);
        } else {
            double z = 1.0 / (ax * ax);
            double top = ((((1.63153871373020978e-2 * z + 3.05326634961232344e-1) * z + 3.60344899949804439e-1) * z
                    + 1.25781726111229246e-1) * z + 1.60837851487422766e-2) * z + 6.58749161529837803e-4;
            double bot = ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 5.27905102951428412e-1) * z
                    + 6.05183413124413191e-2) * z + 2.33520497626869185e-3;
            double p = z * top / bot;
            r = 1.0 - Math.exp(-ax * ax) / ax * (0.564189583547756287 - p);
        }
        return x < 0 ? -r : r;
    }

    @Override
    public void close() {
        if (ownsTokenizer) {
            tokenizer.close();
        }
    }
}
