package io.omnistream.gpu.bench;

import static io.omnistream.gpu.bench.BenchResults.percentile;

import io.omnistream.gpu.attention.GatedAttentionCuda;
import io.omnistream.gpu.encoders.EncoderModule;
import io.omnistream.gpu.encoders.text.MiniLmCuda;
import io.omnistream.gpu.encoders.text.MiniLmTwin;
import io.omnistream.gpu.encoders.text.MiniLmWeights;
import io.omnistream.gpu.encoders.text.TokenBatch;
import io.omnistream.gpu.runtime.CudaContext;
import io.omnistream.gpu.runtime.GpuRuntime;
import io.omnistream.gpu.testutils.MiniLmFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Times the MiniLM text encoder on batches of 64, 256 and 1024 customer-service sentences (drawn from the test
 * resource in the order {@code minilm_torch.py} uses): the Java API end to end ({@code encode(TokenBatch, float[])}:
 * token rows and layout up, the launch sequence, embeddings down; wall time) and the launch sequence alone on
 * device-resident input (CUDA events), each as p50/p99 over 200 batches after 20 warm-up batches, plus the twin on
 * the CPU (thread CPU time, a few sentences). Writes JSON for gpu-kernels/BENCHMARKS.md. Not a test:
 * {@code java -cp ... io.omnistream.gpu.bench.TextEncoderBenchmark OUT.json [EXPORT_DIR]}; EXPORT_DIR receives the
 * GPU embeddings of all customer sentences ({@code gpu-embeddings.f32}) for the PyTorch script to compare with.
 */
public final class TextEncoderBenchmark {
    private static final int WARMUP = 20;
    private static final int RUNS = 200;

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "text_bench.json");
        Map<String, Object> r = new LinkedHashMap<>();
        MiniLmWeights w = MiniLmFixtures.weights();
        List<int[]> pool = MiniLmFixtures.sentenceTokens();
        r.put("weights", MiniLmFixtures.compactWeights() ? "compact fp16 export" : "fp32 ONNX file");
        r.put("cpu", Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.version"));
        r.put("pool_sentences", pool.size());
        r.put("pool_tokens_min", pool.stream().mapToInt(a -> a.length).min().orElse(0));
        r.put("pool_tokens_max", pool.stream().mapToInt(a -> a.length).max().orElse(0));
        r.put("twin_cpu_ms_per_sentence", twin(w, pool));
        if (GpuRuntime.available() && EncoderModule.present()) {
            r.put("device", GpuRuntime.device().toString());
            CudaContext ctx = GpuRuntime.newContext();
            try (MiniLmCuda gpu = new MiniLmCuda(ctx, w)) {
                if (args.length > 1) {
                    TokenBatch all = MiniLmFixtures.batch(pool);
                    float[] e = new float[all.sentences() * 384];
                    gpu.encode(all, e);
                    Files.createDirectories(Path.of(args[1]));
                    MiniLmFixtures.writeFloats(Path.of(args[1], "gpu-embeddings.f32"), e);
                }
                for (int n : new int[] {64, 256, 1024}) {
                    TokenBatch b = MiniLmFixtures.benchmarkBatch(pool, n);
                    r.put("tokens_n" + n, b.totalTokens());
                    float[] emb = new float[n * 384];
                    double[] e2e = new double[RUNS];
                    for (int i = 0; i < WARMUP + RUNS; i++) {
                        long t0 = System.nanoTime();
                        gpu.encode(b, emb);
                        if (i >= WARMUP) {
                            e2e[i - WARMUP] = (System.nanoTime() - t0) / 1e6;
                        }
                    }
                    byte[] codes = new byte[n * 384];
                    float[] scales = new float[n];
                    double[] int8 = new double[RUNS];
                    for (int i = 0; i < WARMUP + RUNS; i++) {
                        long t0 = System.nanoTime();
                        gpu.encodeInt8(b, codes, scales);
                        if (i >= WARMUP) {
                            int8[i - WARMUP] = (System.nanoTime() - t0) / 1e6;
                        }
                    }
                    gpu.prepare(b);
                    double[] kernels = new double[RUNS];
                    for (int i = 0; i < WARMUP + RUNS; i++) {
                        float ms = ctx.timeMillis(gpu::enqueue);
                        if (i >= WARMUP) {
                            kernels[i - WARMUP] = ms;
                        }
                    }
                    r.put("attention_variant_n" + n, gpu.attentionVariant());
                    for (Map.Entry<String, Double> st : gpu.stageMillis(50).entrySet()) {
                        r.put("stage_ms_n" + n + "_" + st.getKey(), st.getValue());
                    }
                    if (n == 1024) {
                        gpu.prepare(b, GatedAttentionCuda.Variant.FA2_S3);
                        r.put("stage_ms_n1024_attention_FA2_S3", gpu.stageMillis(50).get("attention"));
                        r.put("kernels_ms_n1024_FA2_S3_mean", round(ctx.timeMillis(() -> {
                            for (int k = 0; k < 50; k++) {
                                gpu.enqueue();
                            }
                        }) / 50.0));
                    }
                    put(r, "api_ms_n" + n, e2e);
                    put(r, "api_int8_ms_n" + n, int8);
                    put(r, "kernels_ms_n" + n, kernels);
                    r.put("api_sentences_per_s_n" + n, Math.round(n / (percentile(e2e, 50) / 1e3)));
                    r.put("kernels_sentences_per_s_n" + n, Math.round(n / (mean(kernels) / 1e3)));
                }
            }
        } else {
            r.put("device", "none: " + GpuRuntime.unavailableReason());
        }
        BenchResults.write(out, r);
    }

    private static double twin(MiniLmWeights w, List<int[]> pool) {
        var cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        MiniLmTwin twin = new MiniLmTwin(w);
        TokenBatch b = MiniLmFixtures.batch(pool.subList(0, 8));
        float[] out = new float[8 * 384];
        twin.encode(b, out);
        long t0 = cpu.getCurrentThreadCpuTime();
        twin.encode(b, out);
        return round((cpu.getCurrentThreadCpuTime() - t0) / 1e6 / 8);
    }

    private static void put(Map<String, Object> r, String key, double[] ms) {
        r.put(key + "_p50", round(percentile(ms, 50)));
        r.put(key + "_p99", round(percentile(ms, 99)));
        r.put(key + "_mean", round(mean(ms)));
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }

    private static double round(double v) {
        return Math.round(v * 10000) / 10000.0;
    }
}
