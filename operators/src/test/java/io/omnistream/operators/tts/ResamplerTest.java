package io.omnistream.operators.tts;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ResamplerTest {
    private static short[] sine(double hz, int rate, int n, double amp) {
        short[] s = new short[n];
        for (int i = 0; i < n; i++) {
            s[i] = (short) Math.round(amp * Math.sin(2 * Math.PI * hz * i / rate));
        }
        return s;
    }

    private static int zeroCrossings(short[] s, int from, int to) {
        int z = 0;
        for (int i = from + 1; i < to; i++) {
            if ((s[i - 1] < 0) != (s[i] < 0)) {
                z++;
            }
        }
        return z;
    }

    private static short[] concat(short[] a, short[] b) {
        short[] c = new short[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void keepsPitchLengthAndLoudnessWhenGoingFrom22050To16000() {
        short[] in = sine(440, 22050, 22050, 10000);
        Resampler r = new Resampler(22050, 16000);
        short[] out = concat(r.process(in, in.length), r.flush());
        assertThat(out.length).isBetween(16000 - 20, 16000 + 20);
        // 440 Hz: 880 zero crossings per second
        assertThat(zeroCrossings(out, 0, 16000)).isBetween(870, 890);
        int peak = 0;
        for (int i = 1000; i < 15000; i++) {
            peak = Math.max(peak, Math.abs(out[i]));
        }
        assertThat(peak).isBetween(9500, 10500);
    }

    @Test
    void removesContentAboveTheNewNyquistFrequency() {
        short[] in = sine(10000, 22050, 22050, 10000); // above 8 kHz: must not alias into the 16 kHz output
        Resampler r = new Resampler(22050, 16000);
        short[] out = r.process(in, in.length);
        double rms = 0;
        for (int i = 1000; i < out.length - 1000; i++) {
            rms += (double) out[i] * out[i];
        }
        rms = Math.sqrt(rms / (out.length - 2000));
        assertThat(rms).isLessThan(700); // < -20 dB of the 7071 input RMS
    }

    @Test
    void givesTheSameSamplesWhetherFedInPiecesOrAtOnce() {
        short[] in = sine(300, 22050, 5000, 8000);
        Resampler whole = new Resampler(22050, 48000);
        short[] a = concat(whole.process(in, in.length), whole.flush());
        Resampler pieces = new Resampler(22050, 48000);
        short[] b = new short[0];
        for (int i = 0; i < in.length; i += 441) {
            int n = Math.min(441, in.length - i);
            b = concat(b, pieces.process(java.util.Arrays.copyOfRange(in, i, i + n), n));
        }
        b = concat(b, pieces.flush());
        assertThat(b).isEqualTo(a);
    }
}
