package io.omnistream.loadtests.loop;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Nearest-rank percentiles of a small sample (tens of turns): exact, no bucketing, so a p95 over 20 turns is
 * honestly the 19th value. Large samples in the load generator use HdrHistogram instead.
 */
public final class Percentiles {
    private final double[] sorted;

    public Percentiles(List<Double> values) {
        sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    }

    public int count() {
        return sorted.length;
    }

    /** Nearest-rank percentile, p in (0, 100]; NaN when empty. */
    public double p(double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    public double max() {
        return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1];
    }

    public double[] values() {
        return Arrays.copyOf(sorted, sorted.length);
    }

    public String summary() {
        return sorted.length == 0 ? "n=0" : String.format(Locale.ROOT, "n=%d p50=%.0f p95=%.0f max=%.0f ms",
                sorted.length, p(50), p(95), max());
    }
}
