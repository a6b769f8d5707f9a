package io.omnistream.operators.audio;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class Pcm16Test {
    @Test
    void decodesLittleEndianSamplesScaledBy32768() {
        float[] x = Pcm16.toFloats(ByteBuffer.wrap(Pcm16.toBytes(new short[] {0, 16384, -32768, 32767}, 0, 4)));
        assertThat(x).containsExactly(0f, 0.5f, -1f, 32767 / 32768f);
    }

    @Test
    void fullScaleSineIsAboutMinusThreeDecibels() {
        float[] x = new float[1600];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(2 * Math.PI * 440 * i / 16000.0);
        }
        assertThat(Pcm16.energyDb(x)).isBetween(-3.2f, -2.8f);
        assertThat(Pcm16.energyDb(new float[640])).isEqualTo(Pcm16.SILENCE_FLOOR_DB);
        assertThat(Pcm16.energyDb(new float[0])).isEqualTo(Pcm16.SILENCE_FLOOR_DB);
    }

    @Test
    void sanitizeReplacesNonFiniteSamplesAndClamps() {
        float[] x = {Float.NaN, Float.POSITIVE_INFINITY, 2f, -3f, 0.25f};
        assertThat(Pcm16.sanitize(x)).isEqualTo(2);
        assertThat(x).containsExactly(0f, 0f, 1f, -1f, 0.25f);
        assertThat(Pcm16.energyDb(new float[] {Float.NaN, 0.5f})).isFinite();
    }
}
