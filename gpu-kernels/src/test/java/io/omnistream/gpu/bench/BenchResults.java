package io.omnistream.gpu.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/** What the benchmarks share for their results: percentiles of timings, millisecond rounding, the flat JSON file. */
final class BenchResults {
    private BenchResults() {}

    /** The {@code p}-th percentile (nearest rank) of {@code t}; {@code t} is not changed. */
    static double percentile(double[] t, double p) {
        double[] s = t.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, Math.max(0, (int) Math.ceil(p / 100.0 * s.length) - 1))];
    }

    /** To three decimals (microseconds, for milliseconds). */
    static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** {@code r} as one flat JSON object into {@code out} and on standard output (strings quoted, their quotes made single). */
    static void write(Path out, Map<String, Object> r) throws IOException {
        StringBuilder json = new StringBuilder("{\n");
        int i = 0;
        for (Map.Entry<String, Object> e : r.entrySet()) {
            json.append("  \"").append(e.getKey()).append("\": ");
            json.append(e.getValue() instanceof String s ? "\"" + s.replace("\"", "'") + "\"" : e.getValue());
            json.append(++i < r.size() ? ",\n" : "\n");
        }
        json.append("}\n");
        Files.writeString(out, json);
        System.out.print(json);
    }
}
