package io.omnistream.gpu.bench;

import io.omnistream.gpu.encoders.text.MiniLmTwin;
import io.omnistream.gpu.encoders.text.MiniLmWeights;
import io.omnistream.gpu.encoders.text.TokenBatch;
import io.omnistream.gpu.testutils.MiniLmFixtures;
import io.omnistream.gpu.testutils.OnnxRuntimeOracle;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The CPU references of the MiniLM text encoder on the build machine: ONNX Runtime (the fp32 model file, one
 * intra-op thread, padded batch as langchain4j feeds it) and the Java twin, on batches of the customer sentences in
 * the benchmark order; median thread CPU time (the build machine is shared, wall time means little). Not a test:
 * {@code java -cp <test classpath> io.omnistream.gpu.bench.MiniLmOracleBenchmark}.
 */
public final class MiniLmOracleBenchmark {
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws Exception {
        List<int[]> pool = MiniLmFixtures.sentenceTokens();
        Path model = Files.createTempFile("all-minilm-l6-v2", ".onnx");
        try (var in = MiniLmOracleBenchmark.class.getResourceAsStream(MiniLmWeights.RESOURCE)) {
            Files.copy(in, model, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        try (OnnxRuntimeOracle ort = new OnnxRuntimeOracle(model)) {
            for (int n : new int[] {1, 64, 256}) {
                TokenBatch b = MiniLmFixtures.benchmarkBatch(pool, n);
                List<int[]> s = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    s.add(b.sentence(i));
                }
                double[] ms = new double[n == 1 ? 50 : 7];
                ort.miniLmEmbeddings(s);
                for (int i = 0; i < ms.length; i++) {
                    long t0 = CPU.getCurrentThreadCpuTime();
                    ort.miniLmEmbeddings(s);
                    ms[i] = (CPU.getCurrentThreadCpuTime() - t0) / 1e6;
                }
                System.out.printf("ONNX Runtime CPU (1 thread), %d sentences (%d tokens): median %.2f ms per batch, %.0f sentences/s%n", n,
                        b.totalTokens(), median(ms), n / (median(ms) / 1e3));
            }
        } finally {
            Files.deleteIfExists(model);
        }
        MiniLmTwin twin = new MiniLmTwin(MiniLmFixtures.weights());
        TokenBatch b = MiniLmFixtures.benchmarkBatch(pool, 64);
        float[] out = new float[64 * 384];
        twin.encode(b, out);
        double[] ms = new double[3];
        for (int i = 0; i < ms.length; i++) {
            long t0 = CPU.getCurrentThreadCpuTime();
            twin.encode(b, out);
            ms[i] = (CPU.getCurrentThreadCpuTime() - t0) / 1e6;
        }
        System.out.printf("Java twin (fp32), 64 sentences: median %.1f ms per batch, %.0f sentences/s%n", median(ms), 64 / (median(ms) / 1e3));
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
