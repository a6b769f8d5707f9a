package io.omnistream.gpu.logmel;

/**
 * Pure-Java {@link LogMel}: the specification the CUDA kernel is tested against and the CPU fallback.
 * A direct real DFT with a 400-entry twiddle table, accumulated in double precision.
 */
public final class LogMelTwin implements LogMel {

    private final float[] window = MelFilterBank.windowShared();
    private final float[] filters = MelFilterBank.filtersShared();
    private final double[] cos = new double[N_FFT];
    private final double[] sin = new double[N_FFT];
    private final double[] windowed = new double[N_FFT];
    private final double[] power = new double[N_FREQS];
    private final int[] filterStart = new int[N_MELS];
    private final int[] filterEnd = new int[N_MELS];

    public LogMelTwin() {
        for (int i = 0; i < N_FFT; i++) {
            cos[i] = Math.cos(2.0 * Math.PI * i / N_FFT);
            sin[i] = Math.sin(2.0 * Math.PI * i / N_FFT);
        }
        for (int m = 0; m < N_MELS; m++) {
            int s = 0;
            while (s < N_FREQS && filters[m * N_FREQS + s] == 0f) {
                s++;
            }
            int e = N_FREQS;
            while (e > s && filters[m * N_FREQS + e - 1] == 0f) {
                e--;
            }
            filterStart[m] = s;
            filterEnd[m] = e;
        }
    }

    @Override
    public void compute(float[] frames, int nFrames, float[] logMelOut, float[] energyOut) {
        LogMel.checkArgs(frames, nFrames, logMelOut, energyOut);
        for (int f = 0; f < nFrames; f++) {
            int base = f * N_FFT;
            double energy = 0;
            for (int i = 0; i < N_FFT; i++) {
                double x = frames[base + i];
                energy += x * x;
                windowed[i] = x * window[i];
            }
            for (int k = 0; k < N_FREQS; k++) {
                double re = 0;
                double im = 0;
                int idx = 0;
                for (int n = 0; n < N_FFT; n++) {
                    re += windowed[n] * cos[idx];
                    im -= windowed[n] * sin[idx];
                    idx += k;
                    if (idx >= N_FFT) {
                        idx -= N_FFT;
                    }
                }
                power[k] = re * re + im * im;
            }
            int out = f * N_MELS;
            for (int m = 0; m < N_MELS; m++) {
                double acc = 0;
                int row = m * N_FREQS;
                for (int k = filterStart[m]; k < filterEnd[m]; k++) {
                    acc += filters[row + k] * power[k];
                }
                logMelOut[out + m] = (float) Math.log10(Math.max(acc, LOG_FLOOR));
            }
            if (energyOut != null) {
                energyOut[f] = (float) (energy / N_FFT);
            }
        }
    }
}
