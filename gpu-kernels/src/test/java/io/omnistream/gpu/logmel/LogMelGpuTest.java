package io.omnistream.gpu.logmel;

import static io.omnistream.gpu.testutils.GpuAssumptions.assumeGpu;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.gpu.runtime.GpuRuntime;
import io.omnistream.gpu.testutils.Signals;
import org.junit.jupiter.api.Test;

/**
 * GPU kernel against the twin. Tolerance: the kernel accumulates the DFT in fp32, the twin in fp64, so raw log10
 * values agree to 2e-3 wherever they lie within 7 decades of the batch maximum (the range Whisper's normalisation
 * keeps) and to 0.05 elsewhere; normalised features to 1e-3; energies to 1e-5 relative.
 */
class LogMelGpuTest {

    @Test
    void batchOf256SessionsMatchesTheTwin() {
        assumeGpu();
        int sessions = 256;
        int framesPerSession = 4;
        int n = sessions * framesPerSession;
        float[] frames = new float[n * LogMel.N_FFT];
        for (int s = 0; s < sessions; s++) {
            float[] a = Signals.voiceLike(LogMel.N_FFT + (framesPerSession - 1) * LogMel.HOP, s);
            for (int f = 0; f < framesPerSession; f++) {
                System.arraycopy(a, f * LogMel.HOP, frames, (s * framesPerSession + f) * LogMel.N_FFT, LogMel.N_FFT);
            }
        }
        java.util.Arrays.fill(frames, 0, LogMel.N_FFT, 0f); // one silent frame
        float[] gpu = new float[n * LogMel.N_MELS];
        float[] twin = new float[n * LogMel.N_MELS];
        float[] eg = new float[n];
        float[] et = new float[n];
        try (LogMel k = LogMels.create()) {
            assertThat(k.onGpu()).isTrue();
            k.compute(frames, n, gpu, eg);
            k.compute(frames, 0, gpu, eg); // empty batch is a no-op
        }
        new LogMelTwin().compute(frames, n, twin, et);
        float max = Float.NEGATIVE_INFINITY;
        for (float v : twin) {
            max = Math.max(max, v);
        }
        double worst = 0;
        for (int i = 0; i < twin.length; i++) {
            double tol = twin[i] > max - 7 ? 2e-3 : 0.05;
            worst = Math.max(worst, Math.abs(gpu[i] - twin[i]));
            assertThat((double) Math.abs(gpu[i] - twin[i])).as("bin %d", i).isLessThanOrEqualTo(tol);
        }
        for (int i = 0; i < n; i++) {
            assertThat((double) Math.abs(eg[i] - et[i])).isLessThanOrEqualTo(1e-5 * Math.max(et[i], 1e-6));
        }
        System.out.printf("log-mel GPU vs twin on %s: max |diff| %.2e%n", GpuRuntime.device(), worst);
    }

    @Test
    void streamingSessionsNormaliseTheSameOnGpuAndTwin() {
        assumeGpu();
        float[] audio = Signals.voiceLike(16000, 42);
        float[] g;
        try (LogMel k = LogMels.create()) {
            StreamingLogMel s = new StreamingLogMel();
            g = new float[0];
            for (int pos = 0; pos < audio.length; pos += 640) {
                float[] part = s.process(java.util.Arrays.copyOfRange(audio, pos, Math.min(audio.length, pos + 640)), k);
                float[] joined = java.util.Arrays.copyOf(g, g.length + part.length);
                System.arraycopy(part, 0, joined, g.length, part.length);
                g = joined;
            }
        }
        float[] t = new StreamingLogMel().process(audio, new LogMelTwin());
        assertThat(g).hasSameSizeAs(t);
        for (int i = 0; i < t.length; i++) {
            assertThat((double) Math.abs(g[i] - t[i])).isLessThanOrEqualTo(1e-3);
        }
    }
}
