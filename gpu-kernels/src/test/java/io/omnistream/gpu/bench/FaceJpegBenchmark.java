package io.omnistream.gpu.bench;

import static io.omnistream.gpu.bench.BenchResults.percentile;
import static io.omnistream.gpu.bench.BenchResults.round3;

import io.omnistream.gpu.encoders.EncoderModels;
import io.omnistream.gpu.encoders.face.BlazeFaceCuda;
import io.omnistream.gpu.encoders.face.BlazeFaceDecoder;
import io.omnistream.gpu.encoders.face.BlazeFaceWeights;
import io.omnistream.gpu.encoders.face.JpegFaces;
import io.omnistream.gpu.image.NvJpegDecoder;
import io.omnistream.gpu.runtime.GpuRuntime;
import io.omnistream.gpu.testutils.JpegPictureSet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * BlazeFace on JPEG camera pictures, batches of 64 / 256 / 1,024 VGA (640×480) JPEGs ({@link JpegPictureSet#benchJpegs}:
 * 16 distinct scenes, a quarter without a face, cycled): {@link BlazeFaceCuda#detectJpeg} end to end (JPEG bytes in,
 * faces in picture pixels out: pinned staging, nvJPEG batched decode, {@code bf_rgb_letterbox}, network, candidates,
 * NMS on the host), and the nvJPEG decode alone, for each nvJPEG back end that can be created. Not a test:
 * {@code java -cp ... io.omnistream.gpu.bench.FaceJpegBenchmark OUT.json} ({@code -Dbench.sizes=64,256,1024},
 * {@code -Dbench.backends=DEFAULT,HARDWARE,GPU_HYBRID}). Wall times; median and worst of the timed repetitions.
 */
public final class FaceJpegBenchmark {

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "face_jpeg_bench.json");
        int[] sizes = Arrays.stream(System.getProperty("bench.sizes", "64,256,1024").split(",")).mapToInt(Integer::parseInt).toArray();
        String[] backends = System.getProperty("bench.backends", "DEFAULT,HARDWARE,GPU_HYBRID").split(",");
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("cpu", Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.version"));
        BlazeFaceWeights w = BlazeFaceWeights.load(EncoderModels.require(EncoderModels.BLAZEFACE_FRONT));
        List<byte[]> distinct = JpegPictureSet.benchJpegs();
        long bytes = 0;
        for (byte[] j : distinct) {
            bytes += j.length;
        }
        r.put("pictures", distinct.size() + " distinct 640x480 JPEGs (quality 0.85, 4:2:0), mean " + bytes / distinct.size()
                + " bytes, cycled");
        if (!GpuRuntime.available()) {
            r.put("device", "none: " + GpuRuntime.unavailableReason());
            BenchResults.write(out, r);
            return;
        }
        r.put("device", GpuRuntime.device());
        BlazeFaceDecoder decoder = new BlazeFaceDecoder(0.6f, 0.3f);
        for (String name : backends) {
            NvJpegDecoder.Backend backend = NvJpegDecoder.Backend.valueOf(name.trim());
            String key = backend.name().toLowerCase();
            try (BlazeFaceCuda cuda = new BlazeFaceCuda(GpuRuntime.newContext(), w, backend)) {
                if (!cuda.jpegOnDevice()) {
                    r.put(key, "unavailable: " + cuda.jpegUnavailableReason());
                    continue;
                }
                for (int n : sizes) {
                    List<byte[]> batch = new ArrayList<>(n);
                    long batchBytes = 0;
                    for (int i = 0; i < n; i++) {
                        batch.add(distinct.get(i % distinct.size()));
                        batchBytes += batch.get(i).length;
                    }
                    List<JpegFaces> first;
                    try {
                        first = cuda.detectJpeg(batch, decoder);
                    } catch (RuntimeException e) {
                        r.put(key + "_" + n, "failed: " + e);
                        continue;
                    }
                    int faces = 0;
                    String firstError = null;
                    for (JpegFaces f : first) {
                        faces += f.faces().size();
                        firstError = firstError == null ? f.error() : firstError;
                    }
                    for (int i = 0; i < 2; i++) {
                        cuda.detectJpeg(batch, decoder);
                    }
                    int reps = n >= 1024 ? 10 : 20;
                    double[] t = new double[reps];
                    for (int i = 0; i < reps; i++) {
                        long t0 = System.nanoTime();
                        cuda.detectJpeg(batch, decoder);
                        t[i] = (System.nanoTime() - t0) / 1e6;
                    }
                    double[] dec = new double[reps];
                    for (int i = 0; i < reps; i++) {
                        long t0 = System.nanoTime();
                        cuda.jpegDecoder().decode(batch);
                        cuda.context().synchronize();
                        dec[i] = (System.nanoTime() - t0) / 1e6;
                    }
                    long allocations = cuda.context().pool().allocations();
                    cuda.detectJpeg(batch, decoder);
                    double p50 = percentile(t, 50);
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("batch", n);
                    m.put("jpeg_mb", round3(batchBytes / 1e6));
                    m.put("detect_jpeg_p50_ms", round3(p50));
                    m.put("detect_jpeg_max_ms", round3(percentile(t, 100)));
                    m.put("nvjpeg_decode_p50_ms", round3(percentile(dec, 50)));
                    m.put("pictures_per_s", Math.round(n / (p50 / 1000)));
                    m.put("sessions_at_15fps", Math.round(n / (p50 / 1000) / 15));
                    m.put("faces", faces);
                    m.put("undecodable", JpegFaces.failures(first) + (firstError == null ? "" : " (" + firstError + ")"));
                    m.put("device_allocations_in_last_batch", cuda.context().pool().allocations() - allocations);
                    r.put(key + "_" + n, m.toString().replace("=", ": "));
                    System.out.println(key + " " + m);
                }
            } catch (RuntimeException | LinkageError e) {
                r.put(key, "failed: " + e);
            }
        }
        BenchResults.write(out, r);
    }
}
