package io.omnistream.gpu.logmel;

/**
 * The Slaney mel filter bank and periodic Hann window of the {@link LogMel} definition, computed once in double
 * precision. Both the twin and the GPU kernel (which receives these tables) use it, so they cannot drift apart.
 */
public final class MelFilterBank {

    private static final double F_SP = 200.0 / 3;
    private static final double MIN_LOG_HZ = 1000.0;
    private static final double MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
    private static final double LOG_STEP = Math.log(6.4) / 27.0;

    private static final float[] FILTERS = build(LogMel.N_MELS, LogMel.N_FREQS, 0.0, LogMel.SAMPLE_RATE / 2.0);
    private static final float[] WINDOW = hann(LogMel.N_FFT);

    private MelFilterBank() {}

    /** Filters as a row-major {@code [N_MELS][N_FREQS]} matrix (a fresh copy). */
    public static float[] filters() {
        return FILTERS.clone();
    }

    /** Periodic Hann window of {@code N_FFT} samples (a fresh copy), as {@code torch.hann_window(400)}. */
    public static float[] window() {
        return WINDOW.clone();
    }

    static float[] filtersShared() {
        return FILTERS;
    }

    static float[] windowShared() {
        return WINDOW;
    }

    public static double hzToMel(double hz) {
        double mel = hz / F_SP;
        return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP : mel;
    }

    public static double melToHz(double mel) {
        return mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL)) : F_SP * mel;
    }

    static float[] build(int nMels, int nFreqs, double fMin, double fMax) {
        double[] allFreqs = new double[nFreqs];
        for (int i = 0; i < nFreqs; i++) {
            allFreqs[i] = (LogMel.SAMPLE_RATE / 2.0) * i / (nFreqs - 1);
        }
        double mMin = hzToMel(fMin);
        double mMax = hzToMel(fMax);
        double[] fPts = new double[nMels + 2];
        for (int i = 0; i < nMels + 2; i++) {
            fPts[i] = melToHz(mMin + (mMax - mMin) * i / (nMels + 1));
        }
        float[] fb = new float[nMels * nFreqs];
        for (int m = 0; m < nMels; m++) {
            double enorm = 2.0 / (fPts[m + 2] - fPts[m]);
            for (int k = 0; k < nFreqs; k++) {
                double down = (allFreqs[k] - fPts[m]) / (fPts[m + 1] - fPts[m]);
                double up = (fPts[m + 2] - allFreqs[k]) / (fPts[m + 2] - fPts[m + 1]);
                double v = Math.max(0.0, Math.min(down, up));
                fb[m * nFreqs + k] = (float) (v * enorm);
            }
        }
        return fb;
    }

    static float[] hann(int n) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) (0.5 - 0.5 * Math.cos(2.0 * Math.PI * i / n));
        }
        return w;
    }
}
