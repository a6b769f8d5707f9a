package io.omnistream.gpu.testutils;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;

/** Linear-time array comparisons for large GPU results (AssertJ's containsExactly is quadratic on big arrays). */
public final class Compare {
    private Compare() {}

    public static void sameBytes(String what, byte[] actual, byte[] expected) {
        int i = Arrays.mismatch(actual, expected);
        assertThat(i).as("%s: first mismatch at %d", what, i).isEqualTo(-1);
    }

    public static void sameFloats(String what, float[] actual, float[] expected) {
        int i = Arrays.mismatch(actual, expected);
        assertThat(i).as("%s: first mismatch at %d (%s vs %s)", what, i,
                i >= 0 && i < actual.length ? actual[i] : null, i >= 0 && i < expected.length ? expected[i] : null)
                .isEqualTo(-1);
    }

    public static void sameInts(String what, int[] actual, int[] expected) {
        int i = Arrays.mismatch(actual, expected);
        assertThat(i).as("%s: first mismatch at %d", what, i).isEqualTo(-1);
    }

    /** Largest absolute difference, asserting equal lengths. */
    public static double maxAbsDiff(float[] actual, float[] expected) {
        assertThat(actual.length).isEqualTo(expected.length);
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = Math.abs((double) actual[i] - expected[i]);
            if (!(d <= worst)) {
                worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
            }
        }
        return worst;
    }
}
