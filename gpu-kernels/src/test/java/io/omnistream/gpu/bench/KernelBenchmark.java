package io.omnistream.gpu.bench;

import io.omnistream.gpu.attention.AttentionBatch;
import io.omnistream.gpu.attention.GatedAttentionCuda;
import io.omnistream.gpu.attention.GatedAttentionTwin;
import io.omnistream.gpu.attention.Modality;
import io.omnistream.gpu.image.FrameResizerCuda;
import io.omnistream.gpu.image.ResizeBatch;
import io.omnistream.gpu.logmel.LogMel;
import io.omnistream.gpu.logmel.LogMelCuda;
import io.omnistream.gpu.logmel.LogMelTwin;
import io.omnistream.gpu.quant.Int8QuantizerCuda;
import io.omnistream.gpu.runtime.CudaContext;
import io.omnistream.gpu.runtime.GpuRuntime;
import io.omnistream.gpu.testutils.Signals;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Times the CUDA kernels on the GPU machine (kernel time by CUDA events on device-resident data, and end-to-end
 * time of the Java API including host copies) and writes JSON for gpu-kernels/BENCHMARKS.md. Not a test: run as
 * {@code java -cp ... io.omnistream.gpu.bench.KernelBenchmark OUT.json} (see BENCHMARKS.md for the exact command);
 * {@code -Dbench.parts=attention,int8} runs only the named parts (logmel, attention, int8, resize).
 */
public final class KernelBenchmark {

    private static final Map<String, Object> RESULTS = new LinkedHashMap<>();

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "java_bench.json");
        if (!GpuRuntime.available()) {
            System.err.println("no GPU: " + GpuRuntime.unavailableReason());
            System.exit(2);
        }
        RESULTS.put("device", GpuRuntime.device().toString());
        for (var part : new java.util.LinkedHashMap<String, Runnable>() {{
                put("logmel", KernelBenchmark::logMel);
                put("attention", KernelBenchmark::attention);
                put("int8", KernelBenchmark::int8);
                put("resize", KernelBenchmark::resize);
            }}.entrySet()) {
            String only = System.getProperty("bench.parts", "");
            if (!only.isEmpty() && !Arrays.asList(only.split(",")).contains(part.getKey())) {
                continue;
            }
            try {
                part.getValue().run();
            } catch (RuntimeException e) {
                e.printStackTrace();
                RESULTS.put(part.getKey() + "_error", e.toString().replace('"', '\''));
            }
        }
        StringBuilder sb = new StringBuilder("{\n");
        RESULTS.forEach((k, v) -> sb.append("  \"").append(k).append("\": ")
                .append(v instanceof String ? "\"" + v + "\"" : v).append(",\n"));
        sb.setLength(sb.length() - 2);
        sb.append("\n}\n");
        Files.writeString(out, sb.toString());
        System.out.print(sb);
    }

    private static void put(String key, double v) {
        RESULTS.put(key, String.format(java.util.Locale.ROOT, "%.6g", v));
    }

    private static double medianMs(Runnable r, int iters) {
        double[] t = new double[iters];
        for (int i = 0; i < iters; i++) {
            long s = System.nanoTime();
            r.run();
            t[i] = (System.nanoTime() - s) / 1e6;
        }
        Arrays.sort(t);
        return t[iters / 2];
    }

    /** Mean GPU time per launch over {@code iters} launches queued back to back. */
    private static double kernelMs(CudaContext ctx, Runnable enqueue, int iters) {
        for (int i = 0; i < 10; i++) {
            enqueue.run();
        }
        ctx.synchronize();
        return ctx.timeMillis(() -> {
            for (int i = 0; i < iters; i++) {
                enqueue.run();
            }
        }) / iters;
    }

    static void logMel() {
        int sessions = 256;
        int frames = sessions * 4; // 40 ms of new audio + 240-sample tail = 880 samples = 4 frames per session
        float[] in = new float[frames * LogMel.N_FFT];
        for (int s = 0; s < sessions; s++) {
            float[] a = Signals.voiceLike(880, s);
            for (int f = 0; f < 4; f++) {
                System.arraycopy(a, f * LogMel.HOP, in, (s * 4 + f) * LogMel.N_FFT, LogMel.N_FFT);
            }
        }
        float[] mel = new float[frames * LogMel.N_MELS];
        float[] e = new float[frames];
        try (LogMelCuda k = new LogMelCuda(GpuRuntime.newContext())) {
            k.compute(in, frames, mel, e);
            CudaContext ctx = k.context();
            long dIn = ctx.pool().get("logmel.frames", 0);
            long dOut = ctx.pool().get("logmel.out", 0);
            put("logmel_256x40ms_kernel_ms", kernelMs(ctx, () -> k.enqueue(dIn, frames, dOut, dOut + frames * 512L), 500));
            put("logmel_256x40ms_end_to_end_ms", medianMs(() -> k.compute(in, frames, mel, e), 200));
        }
        LogMelTwin twin = new LogMelTwin();
        put("logmel_256x40ms_java_twin_ms", medianMs(() -> twin.compute(in, frames, mel, e), 3));
    }

    static void attention() {
        int b = 64;
        int seg = 256;
        int heads = 8;
        for (GatedAttentionCuda.Variant variant : GatedAttentionCuda.Variant.values()) {
        for (String mode : new String[] {"sparse25", "dense"}) {
            int gate = mode.equals("dense") ? Modality.ALL_GATES : Modality.diagonalGates();
            AttentionBatch.Builder bb = AttentionBatch.builder(heads);
            for (int i = 0; i < b; i++) {
                bb.add(seg, seg, seg, seg, gate);
            }
            AttentionBatch batch = bb.build();
            int n = batch.tensorFloats();
            float[] q = Signals.uniform(n, 1, -1, 1);
            float[] k = Signals.uniform(n, 2, -1, 1);
            float[] v = Signals.uniform(n, 3, -1, 1);
            float[] o = new float[n];
            try (GatedAttentionCuda a = new GatedAttentionCuda(GpuRuntime.newContext(), variant)) {
                a.compute(batch, q, k, v, o, 0.125f);
                CudaContext ctx = a.context();
                long qkv = ctx.pool().get("attn.qkv", 0);
                long dOut = ctx.pool().get("attn.out", 0);
                long t = n * 2L;
                int blocks = a.uploadShape(batch);
                double ms = kernelMs(ctx, () -> a.enqueue(qkv, qkv + t, qkv + 2 * t, dOut, heads, blocks, 0.125f), 50);
                double L = 4.0 * seg;
                double usefulFlops = 4.0 * b * heads * L * L * AttentionBatch.HEAD_DIM * batch.density();
                String p = "attn_" + variant + "_" + mode;
                put(p + "_B64_L1024_H8_D64_kernel_ms", ms);
                put(p + "_useful_tflops", usefulFlops / (ms * 1e-3) / 1e12);
                put(p + "_density", batch.density());
                if (mode.equals("sparse25")) {
                    // spot check of one sequence against the twin, in the benchmark run itself
                    AttentionBatch one = AttentionBatch.builder(heads).add(seg, seg, seg, seg, gate).build();
                    int m = one.tensorFloats();
                    float[] tw = new float[m];
                    new GatedAttentionTwin().compute(one, Arrays.copyOf(q, m), Arrays.copyOf(k, m), Arrays.copyOf(v, m), tw, 0.125f);
                    double worst = 0;
                    for (int i = 0; i < m; i++) {
                        worst = Math.max(worst, Math.abs(tw[i] - o[i]));
                    }
                    put(p + "_max_abs_diff_vs_twin", worst);
                }
            }
        }
        }
    }

    static void int8() {
        int rows = 262_144;
        int dim = 256;
        float[] x = Signals.gaussian(rows * dim, 7, 1.0);
        byte[] q = new byte[rows * dim];
        float[] s = new float[rows];
        float[] back = new float[rows * dim];
        try (Int8QuantizerCuda k = new Int8QuantizerCuda(GpuRuntime.newContext())) {
            k.quantize(x, rows, dim, q, s);
            k.dequantize(q, s, rows, dim, back);
            CudaContext ctx = k.context();
            long dx = ctx.pool().get("quant.x", 0);
            long dq = ctx.pool().get("quant.q", 0);
            long ds = ctx.pool().get("quant.s", 0);
            double bytes = rows * (double) dim * 5 + rows * 4.0;
            for (int maxBlocks : new int[] {0, 132 * 8, 132 * 16, 132 * 32}) {
                double ms = kernelMs(ctx, () -> k.enqueueQuantize(dx, rows, dim, dq, ds, maxBlocks), 100);
                String p = maxBlocks == 0 ? "" : "_grid" + maxBlocks;
                put("int8_quant_262144x256" + p + "_kernel_ms", ms);
                put("int8_quant" + p + "_bandwidth_TBps", bytes / (ms * 1e-3) / 1e12);
            }
            double dms = kernelMs(ctx, () -> k.enqueueDequantize(dq, ds, rows, dim, dx), 100);
            put("int8_dequant_262144x256_kernel_ms", dms);
            put("int8_dequant_bandwidth_TBps", bytes / (dms * 1e-3) / 1e12);
            put("int8_quant_end_to_end_ms", medianMs(() -> k.quantize(x, rows, dim, q, s), 10));
        }
    }

    static void resize() {
        ResizeBatch b = ResizeBatch.blazeFace();
        byte[] f = Signals.i420Pattern(640, 480, 1);
        for (int i = 0; i < 256; i++) {
            b.add(f, 640, 480);
        }
        float[] out = new float[b.outputFloats()];
        try (FrameResizerCuda r = new FrameResizerCuda(GpuRuntime.newContext())) {
            r.resize(b, out);
            put("resize_blazeface_256x640x480_end_to_end_ms", medianMs(() -> r.resize(b, out), 50));
        }
    }
}
