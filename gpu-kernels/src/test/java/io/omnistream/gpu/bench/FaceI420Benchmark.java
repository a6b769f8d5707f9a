package io.omnistream.gpu.bench;

import static io.omnistream.gpu.bench.BenchResults.percentile;
import static io.omnistream.gpu.bench.BenchResults.round3;

import io.omnistream.gpu.encoders.EncoderModels;
import io.omnistream.gpu.encoders.face.BlazeFaceCuda;
import io.omnistream.gpu.encoders.face.BlazeFaceDecoder;
import io.omnistream.gpu.encoders.face.BlazeFaceEncoder;
import io.omnistream.gpu.encoders.face.BlazeFaceWeights;
import io.omnistream.gpu.encoders.face.FaceBox;
import io.omnistream.gpu.image.I420Frames;
import io.omnistream.gpu.image.I420LetterboxTwin;
import io.omnistream.gpu.runtime.CudaContext;
import io.omnistream.gpu.runtime.GpuRuntime;
import io.omnistream.gpu.testutils.CameraFrameSet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * BlazeFace on camera frames, batches of 64 / 256 / 1,024 VGA (640×480) I420 frames (16 distinct frames: the VGA
 * scenes of {@link CameraFrameSet} shifted and mirrored, cycled): the device-fed path ({@link BlazeFaceCuda#detectI420}: one upload of the I420 planes,
 * letterbox + network + candidate selection on the device, NMS on the host) end to end and by stage, against the
 * host-float path (128×128 float frames prepared on the host, {@link BlazeFaceCuda#forward}, full outputs back,
 * decoder on the host). Not a test: {@code java -cp ... io.omnistream.gpu.bench.FaceI420Benchmark OUT.json}
 * ({@code -Dbench.sizes=64,256,1024}). Wall times unless marked "gpu" (CUDA events).
 */
public final class FaceI420Benchmark {

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "face_i420_bench.json");
        int[] sizes = Arrays.stream(System.getProperty("bench.sizes", "64,256,1024").split(",")).mapToInt(Integer::parseInt).toArray();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("cpu", Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.version"));
        BlazeFaceWeights w = BlazeFaceWeights.load(EncoderModels.require(EncoderModels.BLAZEFACE_FRONT));
        List<CameraFrameSet.I420Frame> vga = CameraFrameSet.sessions().stream().filter(f -> f.width() == 640 && f.height() == 480).toList();
        int distinct = 16;
        List<CameraFrameSet.I420Frame> scenes = new ArrayList<>();
        for (int i = 0; i < distinct; i++) {
            scenes.add(CameraFrameSet.variant(vga.get(i % vga.size()), 2 * (i / vga.size()) * 7, (i / 2) % 2 == 1));
        }
        r.put("frames", distinct + " distinct VGA I420 frames (variants of " + vga.size() + " scenes), cycled");
        // Host preprocessing of the same frames (the twin, one thread): what the host-float path costs before the GPU.
        I420Frames one = new I420Frames();
        for (CameraFrameSet.I420Frame f : scenes) {
            one.add(f.i420(), f.width(), f.height());
        }
        float[] distinctImages = new float[distinct * BlazeFaceEncoder.IMAGE];
        I420LetterboxTwin.letterbox(one, distinctImages);
        long t0 = System.nanoTime();
        for (int rep = 0; rep < 3; rep++) {
            I420LetterboxTwin.letterbox(one, distinctImages);
        }
        r.put("host_letterbox_twin_ms_per_frame", round3((System.nanoTime() - t0) / 1e6 / (3 * distinct)));
        if (!GpuRuntime.available()) {
            r.put("device", "none: " + GpuRuntime.unavailableReason());
            BenchResults.write(out, r);
            return;
        }
        r.put("device", GpuRuntime.device().toString());
        BlazeFaceDecoder decoder = new BlazeFaceDecoder(0.6f, 0.3f);
        try (BlazeFaceCuda gpu = new BlazeFaceCuda(GpuRuntime.newContext(), w)) {
            CudaContext ctx = gpu.context();
            for (int n : sizes) {
                I420Frames frames = new I420Frames();
                float[] images = new float[n * BlazeFaceEncoder.IMAGE];
                for (int i = 0; i < n; i++) {
                    CameraFrameSet.I420Frame f = scenes.get(i % distinct);
                    frames.add(f.i420(), f.width(), f.height());
                    System.arraycopy(distinctImages, (i % distinct) * BlazeFaceEncoder.IMAGE, images, i * BlazeFaceEncoder.IMAGE,
                            BlazeFaceEncoder.IMAGE);
                }
                int iters = n >= 1024 ? 30 : 60;
                for (int i = 0; i < 5; i++) {
                    gpu.detectI420(frames, decoder);
                }
                double[] e2e = new double[iters];
                List<List<FaceBox>> faces = null;
                for (int i = 0; i < iters; i++) {
                    long s = System.nanoTime();
                    faces = gpu.detectI420(frames, decoder);
                    e2e[i] = (System.nanoTime() - s) / 1e6;
                }
                String k = "_n" + n;
                r.put("i420_e2e_p50_ms" + k, round3(percentile(e2e, 50)));
                r.put("i420_e2e_p99_ms" + k, round3(percentile(e2e, 99)));
                r.put("i420_e2e_mean_ms" + k, round3(Arrays.stream(e2e).average().orElse(0)));
                r.put("i420_frames_per_s" + k, Math.round(n / (percentile(e2e, 50) / 1000)));
                r.put("i420_sessions_at_15fps" + k, Math.round(n / (percentile(e2e, 50) / 1000) / 15));
                r.put("i420_faces" + k, faces.stream().mapToInt(List::size).sum());
                // Stages.
                double[] up = new double[10];
                for (int i = 0; i < up.length; i++) {
                    long s = System.nanoTime();
                    gpu.uploadI420(frames);
                    ctx.synchronize();
                    up[i] = (System.nanoTime() - s) / 1e6;
                }
                r.put("i420_stage_pack_and_upload_ms" + k, round3(percentile(up, 50)));
                r.put("i420_upload_bytes" + k, frames.totalBytes());
                float thr = decoder.candidateLogit();
                double dev = 0;
                for (int i = 0; i < 20; i++) {
                    dev += ctx.timeMillis(() -> gpu.enqueueFromI420(n, thr));
                }
                r.put("i420_stage_gpu_letterbox_network_candidates_ms" + k, round3(dev / 20));
                long dIn = ctx.pool().get("bf.dIn", (long) n * BlazeFaceEncoder.IMAGE * 4);
                long dS = ctx.pool().get("bf.dScores", (long) n * BlazeFaceEncoder.ANCHORS * 4);
                long dB = ctx.pool().get("bf.dBoxes", (long) n * BlazeFaceEncoder.ANCHORS * BlazeFaceEncoder.BOX * 4);
                double net = 0;
                for (int i = 0; i < 20; i++) {
                    net += ctx.timeMillis(() -> gpu.enqueue(dIn, n, dS, dB));
                }
                r.put("i420_stage_gpu_network_only_ms" + k, round3(net / 20));
                double[] col = new double[10];
                for (int i = 0; i < col.length; i++) {
                    gpu.enqueueFromI420(n, thr);
                    ctx.synchronize();
                    long s = System.nanoTime();
                    gpu.collect(frames, decoder);
                    col[i] = (System.nanoTime() - s) / 1e6;
                }
                r.put("i420_stage_candidates_down_and_nms_ms" + k, round3(percentile(col, 50)));
                // Host-float path: 128x128 floats from the host, full outputs back, decoder on the host.
                float[] sc = new float[n * BlazeFaceEncoder.ANCHORS];
                float[] bx = new float[sc.length * BlazeFaceEncoder.BOX];
                int hostIters = n >= 1024 ? 15 : 30;
                double[] hf = new double[hostIters];
                int hostFaces = 0;
                for (int i = 0; i < 3 + hostIters; i++) {
                    long s = System.nanoTime();
                    gpu.forward(images, n, sc, bx);
                    int c = 0;
                    for (int f = 0; f < n; f++) {
                        c += decoder.decode(sc, bx, f).size();
                    }
                    if (i >= 3) {
                        hf[i - 3] = (System.nanoTime() - s) / 1e6;
                    }
                    hostFaces = c;
                }
                r.put("hostfloat_forward_decode_p50_ms" + k, round3(percentile(hf, 50)));
                r.put("hostfloat_forward_decode_p99_ms" + k, round3(percentile(hf, 99)));
                r.put("hostfloat_faces" + k, hostFaces);
                r.put("hostfloat_upload_bytes" + k, (long) n * BlazeFaceEncoder.IMAGE * 4);
                System.out.println(r);
            }
        }
        BenchResults.write(out, r);
    }
}
