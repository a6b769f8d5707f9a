package io.omnistream.operators.gpu;

import io.omnistream.gpu.attention.AttentionBatch;
import java.util.Random;

/**
 * Maps each modality's raw token features to the query, key and value vectors of the gated cross-modal attention
 * ({@code heads x 64} each). The matrices are fixed Gaussian projections drawn from a seed (variance 1/in, so unit
 * inputs give unit outputs), the same on every task manager: stand-ins for learned modality encoders, which this
 * project does not train. They keep the attention stage honest about what it computes: a real, deterministic mix of
 * the session's audio, lip and screen features, shaped exactly as an encoder's output would be.
 */
public final class ModalityProjection {

    /** Raw feature widths per modality (audio: one 128-bin log-mel frame; lips: {@link #lipFeatures}; screen: a
     *  16 x 8 grey thumbnail; text: no encoder yet). */
    public static final int[] RAW_DIM = {128, 8, GpuStagesConfig.SCREEN_THUMB_WIDTH * GpuStagesConfig.SCREEN_THUMB_HEIGHT, 0};

    private final int heads;
    private final int out;
    /** [modality][q, k, v] -> [in][out] row-major. */
    private final float[][][] w = new float[4][3][];

    public ModalityProjection(int heads, long seed) {
        this.heads = heads;
        this.out = heads * AttentionBatch.HEAD_DIM;
        for (int m = 0; m < 4; m++) {
            for (int which = 0; which < 3; which++) {
                int in = RAW_DIM[m];
                Random r = new Random(seed * 31 + m * 3 + which);
                float[] mat = new float[in * out];
                double sd = in == 0 ? 0 : 1.0 / Math.sqrt(in);
                for (int i = 0; i < mat.length; i++) {
                    mat[i] = (float) (r.nextGaussian() * sd);
                }
                w[m][which] = mat;
            }
        }
    }

    public int heads() {
        return heads;
    }

    /**
     * Projects {@code tokens} rows of modality {@code m} (raw width {@code RAW_DIM[m]}) into q, k and v, writing
     * token after token from token index {@code at} of the destination arrays ({@code [tokens][heads][64]}).
     */
    public void project(int m, float[] raw, int tokens, float[] q, float[] k, float[] v, int at) {
        int in = RAW_DIM[m];
        float[][] dst = {q, k, v};
        for (int which = 0; which < 3; which++) {
            float[] mat = w[m][which];
            float[] d = dst[which];
            for (int t = 0; t < tokens; t++) {
                int o = (at + t) * out;
                for (int i = 0; i < in; i++) {
                    float x = raw[t * in + i];
                    if (x == 0f) {
                        continue;
                    }
                    int row = i * out;
                    for (int j = 0; j < out; j++) {
                        d[o + j] += x * mat[row + j];
                    }
                }
            }
        }
    }

    /**
     * The lip token of a fused frame with a usable face: motion, openness, openness above baseline, activity,
     * closed flag, A/V correlation, correlation coverage and P(speaking), each squashed by tanh so fp16 stays safe.
     */
    public static float[] lipFeatures(io.omnistream.operators.fusion.FusedFrame f) {
        float[] x = {f.lipMotion, f.lipOpenness, f.lipOpenDelta, f.lipActivity, f.lipsClosed ? 1f : 0f, f.avCorrelation,
            f.correlationCoverage, f.speakingProbability};
        for (int i = 0; i < x.length; i++) {
            x[i] = Float.isFinite(x[i]) ? (float) Math.tanh(x[i]) : 0f;
        }
        return x;
    }
}
