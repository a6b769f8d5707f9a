package io.omnistream.operators.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FusedFeaturesTest {

    private static FusedFeatures sample() {
        FusedFeatures f = new FusedFeatures();
        f.sessionId = "séance-7";
        f.windowStartTick = 24;
        f.ticks = 8;
        f.windowStartMicros = 960_000;
        f.gate = 0x0033;
        f.segmentTokens = new int[] {32, 6, 0, 0};
        f.rowModalities = new int[] {0, 1};
        f.dim = 128;
        f.codes = new byte[256];
        for (int i = 0; i < f.codes.length; i++) {
            f.codes[i] = (byte) (i * 7 - 127);
        }
        f.scales = new float[] {0.013f, 0f};
        f.gpu = true;
        return f;
    }

    @Test
    void bytesReadBackToTheSameFeatures() {
        FusedFeatures f = sample();
        FusedFeatures g = FusedFeatures.fromBytes(f.toBytes());
        assertThat(g).usingRecursiveComparison().isEqualTo(f);
        assertThat(g.value(0, 3)).isEqualTo(f.codes[3] * 0.013f);
    }

    @Test
    void anotherFormatVersionOrTruncatedBytesAreRejectedClearly() {
        byte[] b = sample().toBytes();
        byte[] other = b.clone();
        other[0] = 9;
        assertThatThrownBy(() -> FusedFeatures.fromBytes(other)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("format 9");
        assertThatThrownBy(() -> FusedFeatures.fromBytes(Arrays.copyOf(b, b.length - 10)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("truncated");
    }
}
