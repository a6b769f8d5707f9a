package io.omnistream.gpu.bench;

import io.omnistream.gpu.encoders.EncoderModels;
import io.omnistream.gpu.encoders.EncoderModule;
import io.omnistream.gpu.encoders.face.BlazeFaceCuda;
import io.omnistream.gpu.encoders.face.BlazeFaceEncoder;
import io.omnistream.gpu.encoders.face.BlazeFaceTwin;
import io.omnistream.gpu.encoders.face.BlazeFaceWeights;
import io.omnistream.gpu.encoders.vad.SileroVadCuda;
import io.omnistream.gpu.encoders.vad.SileroVadEncoder;
import io.omnistream.gpu.encoders.vad.SileroVadTwin;
import io.omnistream.gpu.encoders.vad.SileroVadWeights;
import io.omnistream.gpu.encoders.vad.VadStreams;
import io.omnistream.gpu.runtime.GpuRuntime;
import io.omnistream.gpu.runtime.PinnedBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Times the encoders built from the ONNX files: the Java twins on the CPU (always) and the CUDA Silero VAD (when a
 * GPU is present: kernel sequence on device-resident data timed by CUDA events, and the Java API end to end). Writes
 * JSON for gpu-kernels/BENCHMARKS.md. Not a test: {@code java -cp ... io.omnistream.gpu.bench.EncoderBenchmark OUT.json}
 * ({@code -Dbench.twin=false} skips the CPU twins). CPU figures are thread CPU time (robust on a shared machine),
 * GPU end-to-end figures wall time.
 */
public final class EncoderBenchmark {
    /** CPU time of the calling thread: robust to other processes on a shared machine. */
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "encoder_bench.json");
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("cpu", Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.version"));
        SileroVadWeights vad = SileroVadWeights.load(EncoderModels.require(EncoderModels.SILERO_VAD));
        if (Boolean.parseBoolean(System.getProperty("bench.twin", "true"))) {
            for (int n : new int[] {1, 64, 256}) {
                results.put("vad_twin_ms_per_step_n" + n, twinVad(vad, n));
            }
            BlazeFaceWeights face = BlazeFaceWeights.load(EncoderModels.require(EncoderModels.BLAZEFACE_FRONT));
            for (int n : new int[] {1, 8}) {
                results.put("blazeface_twin_ms_per_batch_n" + n, twinFace(face, n));
            }
        }
        String export = System.getProperty("bench.export");
        if (export != null) {
            exportVad(vad, Path.of(export));
            exportFace(BlazeFaceWeights.load(EncoderModels.require(EncoderModels.BLAZEFACE_FRONT)), Path.of(export));
        }
        if (GpuRuntime.available() && EncoderModule.present()) {
            results.put("device", GpuRuntime.device().toString());
            try (SileroVadCuda cuda = new SileroVadCuda(GpuRuntime.newContext(), vad)) {
                if (export != null) {
                    exportGpuOutputs(cuda, Path.of(export));
                }
                for (int n : new int[] {64, 256, 1024, 5000, 10000}) {
                    results.put("vad_gpu_kernel_ms_n" + n, gpuVad(cuda, n));
                    results.put("vad_gpu_end_to_end_ms_n" + n, gpuVadEndToEnd(cuda, n));
                    profileVadStep(cuda, n, results);
                    gpuVadResident(cuda, n, results);
                }
            }
            BlazeFaceWeights faceWeights = BlazeFaceWeights.load(EncoderModels.require(EncoderModels.BLAZEFACE_FRONT));
            try (BlazeFaceCuda face = new BlazeFaceCuda(GpuRuntime.newContext(), faceWeights)) {
                for (int n : new int[] {1, 16, 64, 256}) {
                    results.put("blazeface_gpu_kernel_ms_n" + n, gpuFace(face, n));
                }
            }
        } else {
            results.put("device", "none: " + GpuRuntime.unavailableReason());
        }
        BenchResults.write(out, results);
    }

    /**
     * Writes the VAD weights as read by our ONNX reader (raw little-endian float32, one file per parameter) plus a
     * test batch and the twin's outputs, for the PyTorch reference (gpu-kernels/src/test/python/encoders_torch.py).
     */
    private static void exportVad(SileroVadWeights w, Path dir) throws java.io.IOException {
        Files.createDirectories(dir);
        write(dir.resolve("basis.f32"), w.basis());
        for (int l = 0; l < SileroVadEncoder.LAYERS; l++) {
            write(dir.resolve("conv" + l + "_w.f32"), w.convWeight(l));
            write(dir.resolve("conv" + l + "_b.f32"), w.convBias(l));
        }
        write(dir.resolve("w_ih.f32"), w.lstmWeightIh());
        write(dir.resolve("w_hh.f32"), w.lstmWeightHh());
        write(dir.resolve("b_ih.f32"), w.lstmBiasIh());
        write(dir.resolve("b_hh.f32"), w.lstmBiasHh());
        write(dir.resolve("dec_w.f32"), w.decoderWeight());
        write(dir.resolve("dec_b.f32"), new float[] {w.decoderBias()});
        int n = 64;
        float[] windows = noise(n * SileroVadEncoder.WINDOW, 9);
        float[] state = noise(n * SileroVadEncoder.STATE, 10);
        write(dir.resolve("test_windows.f32"), windows);
        write(dir.resolve("test_state.f32"), state);
        float[] p = new float[n];
        new SileroVadTwin(w).step(windows, state, p, n);
        write(dir.resolve("twin_prob.f32"), p);
        write(dir.resolve("twin_state.f32"), state);
    }

    /** BlazeFace weights as our reader returns them, a 4-frame test batch and the twin's outputs. */
    private static void exportFace(BlazeFaceWeights w, Path dir) throws java.io.IOException {
        write(dir.resolve("bf_stem_w.f32"), w.stemWeight());
        write(dir.resolve("bf_stem_b.f32"), w.stemBias());
        for (int b = 0; b < BlazeFaceWeights.BLOCKS.size(); b++) {
            write(dir.resolve("bf_dw" + b + ".f32"), w.depthwiseWeight(b));
            write(dir.resolve("bf_pw" + b + ".f32"), w.pointwiseWeight(b));
            write(dir.resolve("bf_pb" + b + ".f32"), w.pointwiseBias(b));
        }
        for (int h = 0; h < 4; h++) {
            write(dir.resolve("bf_hw" + h + ".f32"), w.headWeight(h));
            write(dir.resolve("bf_hb" + h + ".f32"), w.headBias(h));
        }
        int n = 4;
        float[] images = noise(n * BlazeFaceEncoder.IMAGE, 12);
        float[] s = new float[n * BlazeFaceEncoder.ANCHORS];
        float[] b = new float[s.length * BlazeFaceEncoder.BOX];
        new BlazeFaceTwin(w).forward(images, n, s, b);
        write(dir.resolve("bf_test_images.f32"), images);
        write(dir.resolve("bf_twin_scores.f32"), s);
        write(dir.resolve("bf_twin_boxes.f32"), b);
    }

    private static void exportGpuOutputs(SileroVadCuda cuda, Path dir) throws java.io.IOException {
        int n = 64;
        float[] windows = noise(n * SileroVadEncoder.WINDOW, 9);
        float[] state = noise(n * SileroVadEncoder.STATE, 10);
        float[] p = new float[n];
        cuda.step(windows, state, p, n);
        write(dir.resolve("gpu_prob.f32"), p);
        write(dir.resolve("gpu_state.f32"), state);
    }

    private static void write(Path file, float[] data) throws java.io.IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(data.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        Files.write(file, b.array());
    }

    private static double twinVad(SileroVadWeights w, int n) {
        SileroVadTwin twin = new SileroVadTwin(w);
        float[] windows = noise(n * SileroVadEncoder.WINDOW, 1);
        float[] state = new float[n * SileroVadEncoder.STATE];
        float[] p = new float[n];
        int reps = Math.max(3, 400 / n);
        for (int r = 0; r < 3; r++) {
            twin.step(windows, state, p, n);
        }
        double[] t = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = CPU.getCurrentThreadCpuTime();
            twin.step(windows, state, p, n);
            t[r] = (CPU.getCurrentThreadCpuTime() - t0) / 1e6;
        }
        return median(t);
    }

    private static double twinFace(BlazeFaceWeights w, int n) {
        BlazeFaceTwin twin = new BlazeFaceTwin(w);
        float[] images = noise(n * BlazeFaceEncoder.IMAGE, 2);
        float[] s = new float[n * BlazeFaceEncoder.ANCHORS];
        float[] b = new float[n * BlazeFaceEncoder.ANCHORS * BlazeFaceEncoder.BOX];
        twin.forward(images, n, s, b);
        double[] t = new double[5];
        for (int r = 0; r < t.length; r++) {
            long t0 = CPU.getCurrentThreadCpuTime();
            twin.forward(images, n, s, b);
            t[r] = (CPU.getCurrentThreadCpuTime() - t0) / 1e6;
        }
        return median(t);
    }

    /** Mean time of one step's kernel sequence on device-resident windows and state (CUDA events, 100 steps). */
    private static double gpuVad(SileroVadCuda cuda, int n) {
        var ctx = cuda.context();
        ctx.makeCurrent();
        long winBytes = (long) n * SileroVadEncoder.WINDOW * 4;
        long stateBytes = (long) n * SileroVadEncoder.STATE * 4;
        long dWin = ctx.pool().get("bench.win", winBytes);
        long dState = ctx.pool().get("bench.state", stateBytes);
        long dProb = ctx.pool().get("bench.prob", n * 4L);
        PinnedBuffer h = ctx.pinned("bench.host", winBytes);
        h.buffer().asFloatBuffer().put(noise(n * SileroVadEncoder.WINDOW, 3));
        ctx.upload(dWin, h, winBytes);
        ctx.zero(dState, stateBytes);
        for (int r = 0; r < 10; r++) {
            cuda.enqueue(dWin, dState, dProb, n);
        }
        int reps = 100;
        float ms = ctx.timeMillis(() -> {
            for (int r = 0; r < reps; r++) {
                cuda.enqueue(dWin, dState, dProb, n);
            }
        });
        return ms / reps;
    }

    /** Mean time of one batch through the BlazeFace network on device-resident frames (CUDA events, 20 batches). */
    private static double gpuFace(BlazeFaceCuda face, int n) {
        var ctx = face.context();
        ctx.makeCurrent();
        long inBytes = (long) n * BlazeFaceEncoder.IMAGE * 4;
        long dIn = ctx.pool().get("bench.frames", inBytes);
        long dS = ctx.pool().get("bench.scores", (long) n * BlazeFaceEncoder.ANCHORS * 4);
        long dB = ctx.pool().get("bench.boxes", (long) n * BlazeFaceEncoder.ANCHORS * BlazeFaceEncoder.BOX * 4);
        PinnedBuffer h = ctx.pinned("bench.host", inBytes);
        h.buffer().asFloatBuffer().put(noise(n * BlazeFaceEncoder.IMAGE, 5));
        ctx.upload(dIn, h, inBytes);
        for (int r = 0; r < 5; r++) {
            face.enqueue(dIn, n, dS, dB);
        }
        int reps = 20;
        float ms = ctx.timeMillis(() -> {
            for (int r = 0; r < reps; r++) {
                face.enqueue(dIn, n, dS, dB);
            }
        });
        return ms / reps;
    }

    /** Median wall time of {@link SileroVadCuda#step} including host↔device copies. */
    private static double gpuVadEndToEnd(SileroVadCuda cuda, int n) {
        float[] windows = noise(n * SileroVadEncoder.WINDOW, 4);
        float[] state = new float[n * SileroVadEncoder.STATE];
        float[] p = new float[n];
        for (int r = 0; r < 5; r++) {
            cuda.step(windows, state, p, n);
        }
        double[] t = new double[30];
        for (int r = 0; r < t.length; r++) {
            long t0 = System.nanoTime();
            cuda.step(windows, state, p, n);
            t[r] = (System.nanoTime() - t0) / 1e6;
        }
        return median(t);
    }

    /**
     * Where {@link SileroVadCuda#step}'s time goes on the host side: packing the caller's windows and states into pinned
     * memory, unpacking states and probabilities (median wall times of 30), and the PCIe copies (CUDA events, mean of 10).
     */
    private static void profileVadStep(SileroVadCuda cuda, int n, Map<String, Object> results) {
        var ctx = cuda.context();
        ctx.makeCurrent();
        long winBytes = (long) n * SileroVadEncoder.WINDOW * 4;
        long stateBytes = (long) n * SileroVadEncoder.STATE * 4;
        float[] windows = noise(n * SileroVadEncoder.WINDOW, 4);
        float[] state = noise(n * SileroVadEncoder.STATE, 5);
        float[] p = new float[n];
        PinnedBuffer hw = ctx.pinned("prof.win", winBytes);
        PinnedBuffer hs = ctx.pinned("prof.state", stateBytes);
        PinnedBuffer hp = ctx.pinned("prof.prob", n * 4L);
        long dWin = ctx.pool().get("prof.dWin", winBytes);
        long dState = ctx.pool().get("prof.dState", stateBytes);
        double[] pack = new double[30];
        double[] unpack = new double[30];
        for (int r = -5; r < pack.length; r++) {
            long t0 = System.nanoTime();
            hw.buffer().asFloatBuffer().put(windows, 0, n * SileroVadEncoder.WINDOW);
            hs.buffer().asFloatBuffer().put(state, 0, n * SileroVadEncoder.STATE);
            long t1 = System.nanoTime();
            hs.buffer().asFloatBuffer().get(state, 0, n * SileroVadEncoder.STATE);
            hp.buffer().asFloatBuffer().get(p, 0, n);
            long t2 = System.nanoTime();
            if (r >= 0) {
                pack[r] = (t1 - t0) / 1e6;
                unpack[r] = (t2 - t1) / 1e6;
            }
        }
        float up = ctx.timeMillis(() -> {
            for (int r = 0; r < 10; r++) {
                ctx.upload(dWin, hw, winBytes);
                ctx.upload(dState, hs, stateBytes);
            }
        }) / 10;
        float down = ctx.timeMillis(() -> {
            for (int r = 0; r < 10; r++) {
                ctx.download(hs, dState, stateBytes);
            }
        }) / 10;
        results.put("vad_step_profile_pack_ms_n" + n, median(pack));
        results.put("vad_step_profile_h2d_ms_n" + n, Math.round(up * 1000) / 1000.0);
        results.put("vad_step_profile_d2h_ms_n" + n, Math.round(down * 1000) / 1000.0);
        results.put("vad_step_profile_unpack_ms_n" + n, median(unpack));
    }

    /**
     * The device-resident path end to end, median wall time of 30 steps: each session's new 512 samples (its own
     * {@code float[]}, as an operator holds them) written into {@link SileroVadCuda#chunkInput}, then
     * {@link SileroVadCuda#stepResident} (chunks and slots up, gather, the kernel sequence, scatter, probabilities
     * down). Also the two parts alone, and reading every session's state out (what a checkpoint would cost).
     */
    private static void gpuVadResident(SileroVadCuda cuda, int n, Map<String, Object> results) {
        cuda.reserveSessions(n);
        float[][] chunks = new float[n][];
        int[] slots = new int[n];
        for (int s = 0; s < n; s++) {
            chunks[s] = noise(SileroVadEncoder.CHUNK, 100 + s);
            slots[s] = n - 1 - s;
        }
        float[] p = new float[n];
        double[] whole = new double[30];
        double[] write = new double[30];
        double[] stepOnly = new double[30];
        for (int r = -5; r < whole.length; r++) {
            long t0 = System.nanoTime();
            java.nio.FloatBuffer in = cuda.chunkInput(n);
            for (int s = 0; s < n; s++) {
                in.put(chunks[s]);
            }
            long t1 = System.nanoTime();
            cuda.stepResident(slots, n, p);
            long t2 = System.nanoTime();
            if (r >= 0) {
                whole[r] = (t2 - t0) / 1e6;
                write[r] = (t1 - t0) / 1e6;
                stepOnly[r] = (t2 - t1) / 1e6;
            }
        }
        float[] hc = new float[n * SileroVadEncoder.STATE];
        float[] context = new float[n * SileroVadEncoder.CONTEXT];
        double[] read = new double[10];
        for (int r = -2; r < read.length; r++) {
            long t0 = System.nanoTime();
            cuda.readSessions(slots, n, hc, context);
            if (r >= 0) {
                read[r] = (System.nanoTime() - t0) / 1e6;
            }
        }
        results.put("vad_gpu_resident_end_to_end_ms_n" + n, median(whole));
        results.put("vad_gpu_resident_write_chunks_ms_n" + n, median(write));
        results.put("vad_gpu_resident_step_call_ms_n" + n, median(stepOnly));
        results.put("vad_gpu_resident_read_all_states_ms_n" + n, median(read));
        // what BatchedVadOperator calls: VadStreams over the resident slots, one 512-sample piece per session
        VadStreams streams = new VadStreams(cuda);
        VadStreams.State[] states = new VadStreams.State[n];
        for (int s = 0; s < n; s++) {
            states[s] = new VadStreams.State();
        }
        double[] viaStreams = new double[30];
        for (int r = -5; r < viaStreams.length; r++) {
            long t0 = System.nanoTime();
            streams.processResident(slots, states, chunks);
            if (r >= 0) {
                viaStreams[r] = (System.nanoTime() - t0) / 1e6;
            }
        }
        results.put("vad_gpu_streams_resident_ms_n" + n, median(viaStreams));
    }

    private static float[] noise(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextDouble(-0.3, 0.3);
        }
        return a;
    }

    private static double median(double[] t) {
        double[] s = t.clone();
        Arrays.sort(s);
        return Math.round(s[s.length / 2] * 1000) / 1000.0;
    }
}
