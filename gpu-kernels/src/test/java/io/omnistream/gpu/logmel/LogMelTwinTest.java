package io.omnistream.gpu.logmel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.omnistream.gpu.testutils.Signals;
import org.junit.jupiter.api.Test;

class LogMelTwinTest {

    private final LogMelTwin twin = new LogMelTwin();

    @Test
    void sineOf1kHzPeaksInTheMelBinCentredNear1kHz() {
        float[] frame = Signals.sine(LogMel.N_FFT, 1000, 0.5);
        float[] mel = new float[LogMel.N_MELS];
        float[] energy = new float[1];
        twin.compute(frame, 1, mel, energy);
        int peak = 0;
        for (int m = 1; m < LogMel.N_MELS; m++) {
            if (mel[m] > mel[peak]) {
                peak = m;
            }
        }
        double lo = MelFilterBank.melToHz(MelFilterBank.hzToMel(8000) * peak / (LogMel.N_MELS + 1));
        double hi = MelFilterBank.melToHz(MelFilterBank.hzToMel(8000) * (peak + 2) / (LogMel.N_MELS + 1));
        assertThat(1000.0).isBetween(lo, hi);
        assertThat(energy[0]).isCloseTo(0.125f, within(2e-3f));
    }

    @Test
    void silenceGivesTheLogFloorAndZeroEnergy() {
        float[] mel = new float[LogMel.N_MELS * 2];
        float[] energy = new float[2];
        twin.compute(new float[LogMel.N_FFT * 2], 2, mel, energy);
        for (float v : mel) {
            assertThat(v).isEqualTo(-10f);
        }
        assertThat(energy).containsOnly(0f);
    }

    @Test
    void slaneyFiltersAreAreaNormalisedTriangles() {
        float[] fb = MelFilterBank.filters();
        double fMax = MelFilterBank.hzToMel(8000);
        for (int m = 0; m < LogMel.N_MELS; m++) {
            double f0 = MelFilterBank.melToHz(fMax * m / (LogMel.N_MELS + 1));
            double f2 = MelFilterBank.melToHz(fMax * (m + 2) / (LogMel.N_MELS + 1));
            double peak = 0;
            for (int k = 0; k < LogMel.N_FREQS; k++) {
                peak = Math.max(peak, fb[m * LogMel.N_FREQS + k]);
            }
            // triangle of height 2/(f2-f0) sampled on a 40 Hz grid: the sampled peak is at most that height
            assertThat(peak).isLessThanOrEqualTo(2.0 / (f2 - f0) + 1e-7).isGreaterThan(0);
        }
        assertThat(MelFilterBank.hzToMel(1000)).isCloseTo(15.0, within(1e-12));
        assertThat(MelFilterBank.melToHz(MelFilterBank.hzToMel(4321))).isCloseTo(4321, within(1e-9));
    }

    @Test
    void periodicHannWindowMatchesTorchDefinition() {
        float[] w = MelFilterBank.window();
        assertThat(w[0]).isZero();
        assertThat(w[200]).isEqualTo(1f);
        assertThat(w[100]).isCloseTo(0.5f, within(1e-6f));
        assertThat(w[399]).isCloseTo(w[1], within(1e-7f));
    }

    @Test
    void rejectsOutputArraysThatAreTooSmall() {
        assertThatThrownBy(() -> twin.compute(new float[LogMel.N_FFT], 1, new float[10], null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> twin.compute(new float[10], 1, new float[LogMel.N_MELS], null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
