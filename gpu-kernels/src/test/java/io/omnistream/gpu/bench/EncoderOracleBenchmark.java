package io.omnistream.gpu.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import io.omnistream.gpu.encoders.EncoderModels;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * ONNX Runtime (CPU, one intra-op thread, as the operators configure it) on the same model files, for the reference
 * rows of BENCHMARKS.md: Silero VAD per step at batch 1 (how the operators call it) and batch 64 (the model's batch
 * dimension), BlazeFace per frame. Not a test; not in the GPU bundle (ONNX Runtime is excluded there).
 * {@code java -cp ... io.omnistream.gpu.bench.EncoderOracleBenchmark}
 */
public final class EncoderOracleBenchmark {
    /** CPU time of the calling thread: robust to other processes on a shared machine. */
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(1);
        o.setInterOpNumThreads(1);
        o.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
        SplittableRandom r = new SplittableRandom(1);
        try (OrtSession vad = env.createSession(EncoderModels.require(EncoderModels.SILERO_VAD).toString(), o);
                OnnxTensor sr = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {16000}), new long[] {})) {
            for (int n : new int[] {1, 64}) {
                float[] x = new float[n * 576];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextDouble(-0.3, 0.3);
                }
                float[] st = new float[2 * n * 128];
                double[] t = new double[Math.max(20, 400 / n)];
                for (int rep = -5; rep < t.length; rep++) {
                    long t0 = CPU.getCurrentThreadCpuTime();
                    try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {n, 576});
                            OnnxTensor s = OnnxTensor.createTensor(env, FloatBuffer.wrap(st), new long[] {2, n, 128});
                            OrtSession.Result res = vad.run(Map.of("input", in, "state", s, "sr", sr))) {
                        res.get(0);
                    }
                    if (rep >= 0) {
                        t[rep] = (CPU.getCurrentThreadCpuTime() - t0) / 1e6;
                    }
                }
                System.out.printf("\"vad_ort_cpu_ms_per_step_n%d\": %.3f%n", n, median(t));
            }
        }
        try (OrtSession face = env.createSession(EncoderModels.require(EncoderModels.BLAZEFACE_FRONT).toString(), o)) {
            float[] img = new float[128 * 128 * 3];
            for (int i = 0; i < img.length; i++) {
                img[i] = (float) r.nextDouble(-1, 1);
            }
            double[] t = new double[30];
            for (int rep = -5; rep < t.length; rep++) {
                long t0 = CPU.getCurrentThreadCpuTime();
                try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(img), new long[] {1, 128, 128, 3});
                        OrtSession.Result res = face.run(Map.of("input:0", in))) {
                    res.get(0);
                }
                if (rep >= 0) {
                    t[rep] = (CPU.getCurrentThreadCpuTime() - t0) / 1e6;
                }
            }
            System.out.printf("\"blazeface_ort_cpu_ms_per_frame\": %.3f%n", median(t));
        }
    }

    private static double median(double[] t) {
        double[] s = t.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
