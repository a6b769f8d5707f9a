package io.omnistream.operators.gpu;

import static io.omnistream.operators.gpu.BatchedFrameHarness.feed;
import static io.omnistream.operators.gpu.BatchedFrameHarness.harness;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.gpu.encoders.EncoderModule;
import io.omnistream.gpu.runtime.GpuRuntime;
import io.omnistream.operators.perception.PerceptionConfig;
import io.omnistream.schemas.DetectedFace;
import io.omnistream.schemas.FaceDetection;
import io.omnistream.schemas.PerceptionFrame;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link BatchedFaceOperator} on a GPU, inside Flink's operator harness: many sessions' JPEG camera pictures decoded by
 * nvJPEG and detected on the device ({@link FaceJpegDecoding#ENCODER}), with a checkpoint taken while pictures wait
 * for their batch and restored into a new operator — against the same operator on its Java twin (the JDK's JPEG
 * decoder, {@link GpuBatchConfig#useGpu} false) on the same frames. The pictures are the set gpu-kernels exports for
 * the device ({@code JpegPictureSet}, {@code -Domni.jpeg.pictures}: photos of a face at several sizes and crops, a VGA
 * scene, a portrait, an odd size, a small one and one without a face). Skipped where there is no GPU.
 */
class BatchedFaceOperatorGpuTest {
    private static final int SESSIONS = 24;
    private static final int TICKS = 60;
    /** Device (nvJPEG + letterbox kernel + CUDA network) against the twin (JDK decode): gpu-kernels' JPEG path tolerances. */
    private static final float PIXELS = 1f;
    private static final float SCORE = 0.01f;

    private final List<byte[]> pictures = new ArrayList<>();

    @BeforeEach
    void gpu() throws Exception {
        // -Domni.gpu.tests.onHost=true runs both sides on the twin where there is no GPU: only to list the classes the
        // device bundle needs (load-tests/gpu/operators-bundle.sh), it proves nothing about the GPU
        Assumptions.assumeTrue(GpuRuntime.available() && EncoderModule.present() || Boolean.getBoolean("omni.gpu.tests.onHost"),
                () -> "no GPU: " + GpuRuntime.unavailableReason());
        String dir = System.getProperty("omni.jpeg.pictures");
        Assumptions.assumeTrue(dir != null, "no -Domni.jpeg.pictures (gpu-kernels' JpegPictureSet export)");
        for (int i = 0; i < 8; i++) {
            pictures.add(Files.readAllBytes(Path.of(dir, "picture" + i + ".jpg")));
        }
    }

    @Test
    void onTheGpuTheOperatorFindsItsTwinsFacesThroughARestore() throws Exception {
        List<PerceptionFrame> frames = new ArrayList<>();
        for (int t = 0; t < TICKS; t++) {
            for (int s = 0; s < SESSIONS; s++) {
                long seq = BatchedFaceOperatorTest.seqOf(t);
                byte[] jpeg = pictures.get((int) ((s + seq) % pictures.size()));
                frames.add(BatchedFaceOperatorTest.frame("s" + s, t, seq, jpeg, null));
            }
        }
        int cut = frames.size() / 2 + 5;
        Run gpu = run(true, frames, cut);
        Run twin = run(false, frames, cut);
        assertThat(gpu.onGpu).as("encoder on the GPU").isEqualTo(GpuRuntime.available() && EncoderModule.present());
        assertThat(twin.onGpu).isFalse();
        assertThat(gpu.out).hasSameSizeAs(twin.out).hasSize(frames.size());
        int detections = 0;
        int faces = 0;
        float worstBox = 0;
        float worstScore = 0;
        for (int i = 0; i < frames.size(); i++) {
            FaceDetection g = gpu.out.get(i).getFaceDetection();
            FaceDetection t = twin.out.get(i).getFaceDetection();
            assertThat(g == null).as("frame %d detected on both or neither", i).isEqualTo(t == null);
            if (t == null) {
                continue;
            }
            detections++;
            assertThat(g.getPictureSeq()).isEqualTo(t.getPictureSeq());
            assertThat(g.getFaces()).as("frame %d faces", i).hasSameSizeAs(t.getFaces());
            for (int k = 0; k < t.getFaces().size(); k++) {
                DetectedFace a = g.getFaces().get(k);
                DetectedFace b = t.getFaces().get(k);
                float box = Math.max(Math.max(Math.abs(a.getX() - b.getX()), Math.abs(a.getY() - b.getY())),
                        Math.max(Math.abs(a.getWidth() - b.getWidth()), Math.abs(a.getHeight() - b.getHeight())));
                for (int j = 0; j < 12; j++) {
                    box = Math.max(box, Math.abs(a.getKeypoints().get(j) - b.getKeypoints().get(j)));
                }
                worstBox = Math.max(worstBox, box);
                worstScore = Math.max(worstScore, Math.abs(a.getScore() - b.getScore()));
                assertThat(box).as("frame %d face %d box and keypoints", i, k).isLessThanOrEqualTo(PIXELS);
                assertThat(Math.abs(a.getScore() - b.getScore())).isLessThanOrEqualTo(SCORE);
                faces++;
            }
        }
        assertThat(detections).isGreaterThan(SESSIONS * 5);
        assertThat(faces).isGreaterThan(detections / 2);
        System.out.printf("BatchedFaceOperator on %s (nvJPEG) vs its twin (JDK decoder): %d sessions x %d ticks, a restore;"
                + " %d detections, %d faces, max box/keypoint difference %.3f px, score %.2e%n", GpuRuntime.device(), SESSIONS,
                TICKS, detections, faces, worstBox, worstScore);
    }

    private record Run(boolean onGpu, List<PerceptionFrame> out) {}

    private static Run run(boolean useGpu, List<PerceptionFrame> frames, int cut) throws Exception {
        GpuBatchConfig batch = GpuBatchConfig.defaults().withMaxWait(Duration.ofMillis(5)).withMaxBatchSize(256).withUseGpu(useGpu);
        List<PerceptionFrame> out = new ArrayList<>();
        OperatorSubtaskState snapshot;
        boolean onGpu;
        BatchedFaceOperator first = new BatchedFaceOperator(PerceptionConfig.defaults(), batch, FaceJpegDecoding.ENCODER);
        try (var h = harness(first)) {
            h.setProcessingTime(0);
            h.open();
            onGpu = first.onGpu();
            feed(h, copies(frames.subList(0, cut - 9)), 48);
            for (PerceptionFrame f : copies(frames.subList(cut - 9, cut))) {
                h.processElement(f, f.getTickEndMicros() / 1000);
            }
            h.prepareSnapshotPreBarrier(1);
            snapshot = h.snapshot(1, h.getProcessingTime());
            out.addAll(h.extractOutputValues());
        }
        try (var h = harness(new BatchedFaceOperator(PerceptionConfig.defaults(), batch, FaceJpegDecoding.ENCODER))) {
            h.setProcessingTime(0);
            h.initializeState(snapshot);
            h.open();
            feed(h, copies(frames.subList(cut, frames.size())), 48);
            out.addAll(h.extractOutputValues());
        }
        return new Run(onGpu, out);
    }

    private static List<PerceptionFrame> copies(List<PerceptionFrame> frames) {
        return frames.stream().map(f -> PerceptionFrame.newBuilder(f).build()).toList();
    }
}
