package io.omnistream.connectors.edge;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PcmResamplerTest {

    private static short[] tone(int rate, double hz, int n) {
        short[] s = new short[n];
        for (int i = 0; i < n; i++) {
            s[i] = (short) (Math.sin(2 * Math.PI * hz * i / rate) * 16000);
        }
        return s;
    }

    /** Goertzel power of one frequency, normalised by length. */
    private static double power(short[] s, int from, int rate, double hz) {
        double w = 2 * Math.PI * hz / rate, c = 2 * Math.cos(w), s1 = 0, s2 = 0;
        for (int i = from; i < s.length; i++) {
            double s0 = s[i] + c * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        return (s1 * s1 + s2 * s2 - c * s1 * s2) / Math.pow(s.length - from, 2);
    }

    @Test
    void downsamplesFortyEightToSixteenKilohertzInTenMillisecondPiecesWithoutLosingTheTone() {
        PcmResampler r = new PcmResampler(48000, 16000);
        short[] in = tone(48000, 1000, 48000);
        short[] out = new short[16000];
        int n = 0;
        for (int off = 0; off < in.length; off += 480) {
            short[] o = r.process(in, off, 480);
            System.arraycopy(o, 0, out, n, o.length);
            n += o.length;
        }
        assertThat(n).isEqualTo(16000);
        assertThat(power(out, 400, 16000, 1000)).isGreaterThan(100 * power(out, 400, 16000, 3000));
        double peak = 0;
        for (int i = 400; i < out.length; i++) {
            peak = Math.max(peak, Math.abs(out[i]));
        }
        assertThat(peak).isBetween(14000.0, 18000.0);
    }

    @Test
    void removesContentAboveTheNewNyquistFrequency() {
        PcmResampler r = new PcmResampler(48000, 16000);
        short[] out = r.process(tone(48000, 12000, 48000), 0, 48000);
        double rms = 0;
        for (int i = 400; i < out.length; i++) {
            rms += out[i] * (double) out[i];
        }
        assertThat(Math.sqrt(rms / (out.length - 400))).isLessThan(16000 * 0.05);
    }

    @Test
    void upsamplesTwentyFourToFortyEightKilohertz() {
        PcmResampler r = new PcmResampler(24000, 48000);
        short[] out = r.process(tone(24000, 440, 2400), 0, 2400);
        assertThat(out.length).as("the last output sample waits for the next input sample").isBetween(4799, 4800);
        assertThat(power(out, 200, 48000, 440)).isGreaterThan(100 * power(out, 200, 48000, 2000));
    }
}
