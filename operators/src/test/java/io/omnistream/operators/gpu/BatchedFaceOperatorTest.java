package io.omnistream.operators.gpu;

import static io.omnistream.operators.gpu.BatchedFrameHarness.feed;
import static io.omnistream.operators.gpu.BatchedFrameHarness.harness;
import static io.omnistream.operators.perception.PerceptionTestData.astronaut;
import static io.omnistream.operators.perception.PerceptionTestData.face;
import static io.omnistream.operators.perception.PerceptionTestData.jpeg;
import static io.omnistream.operators.perception.PerceptionTestData.portrait;
import static org.assertj.core.api.Assertions.assertThat;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_core.hconcat;

import io.omnistream.operators.face.BlazeFaceDetector;
import io.omnistream.operators.face.Face;
import io.omnistream.operators.face.LipTracker;
import io.omnistream.operators.perception.ModelFiles;
import io.omnistream.operators.perception.PerceptionConfig;
import io.omnistream.schemas.DetectedFace;
import io.omnistream.schemas.FaceMode;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.RouteDecision;
import io.omnistream.schemas.TrackState;
import io.omnistream.schemas.VideoFrame;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The batched BlazeFace stage (on the Java twin here; the CUDA encoder is checked against the twin in gpu-kernels)
 * against perception's own ONNX Runtime detector on the same real pictures (the astronaut photo with the mouth drawn
 * at several openings, two people side by side, a portrait, a picture without a face), several sessions interleaved
 * and batched together, with the router's face modes, bad pictures and a restore from a snapshot.
 */
class BatchedFaceOperatorTest {
    /** Box corners and sizes, and keypoints, within this many picture pixels of ONNX Runtime's. */
    static final float PIXELS = 2f;
    static final float SCORE = 0.01f;

    private static BlazeFaceDetector ort;
    /** Session → its pictures (JPEG). */
    private static final Map<String, byte[][]> pictures = new LinkedHashMap<>();
    private static final Map<Integer, Float> maxDiff = new java.util.concurrent.ConcurrentHashMap<>();

    @BeforeAll
    static void load() throws Exception {
        ort = new BlazeFaceDetector(ModelFiles.require(ModelFiles.modelsDir(), ModelFiles.BLAZEFACE_FRONT), 0.6f, 0.3f, 1);
        try (Mat base = astronaut(); Mat one = portrait(base); Mat two = new Mat();
                Mat grey = new Mat(240, 320, CV_8UC3, new Scalar(90, 120, 150, 0))) {
            hconcat(one, one, two);
            byte[][] astro = new byte[4][];
            for (int i = 0; i < astro.length; i++) {
                astro[i] = face(base, i / 3.0);
            }
            pictures.put("astro", astro);
            pictures.put("pair", new byte[][] {jpeg(two)});
            pictures.put("portrait", new byte[][] {jpeg(one)});
            pictures.put("nobody", new byte[][] {jpeg(grey)});
        }
    }

    @AfterAll
    static void close() throws Exception {
        ort.close();
        System.out.printf("BatchedFaceOperatorTest: max |batched - ONNX Runtime| box %.2e px, keypoints %.2e px, score %.2e%n",
                maxDiff.getOrDefault(0, 0f), maxDiff.getOrDefault(1, 0f), maxDiff.getOrDefault(2, 0f));
    }

    /** The session's frame of a tick with picture {@code seq} (the session's pictures in turn), a fresh object. */
    static PerceptionFrame frame(String session, long tick, long seq, RouteDecision route) {
        byte[][] p = pictures.get(session);
        byte[] jpeg = p[(int) (seq % p.length)];
        return frame(session, tick, seq, jpeg, route);
    }

    static PerceptionFrame frame(String session, long tick, long seq, byte[] jpeg, RouteDecision route) {
        long start = tick * 40_000L;
        return PerceptionFrame.newBuilder()
                .setSessionId(session)
                .setTickIndex(tick)
                .setTickStartMicros(start)
                .setTickEndMicros(start + 40_000L)
                .setAudio(ByteBuffer.wrap(new byte[1280]))
                .setCamera(VideoFrame.newBuilder().setSeq(seq).setCaptureTimeMicros(start).setWidth(0).setHeight(0)
                        .setJpeg(ByteBuffer.wrap(jpeg)).build())
                .setCameraState(TrackState.OK)
                .setRoute(route)
                .build();
    }

    /** A 15 fps camera on 40 ms ticks: the picture seq of a tick (some pictures span two ticks). */
    static long seqOf(long tick) {
        return tick * 40 / 67;
    }

    static BatchedFaceOperator operator() {
        return operator(FaceJpegDecoding.AUTO);
    }

    static BatchedFaceOperator operator(FaceJpegDecoding decoding) {
        return new BatchedFaceOperator(PerceptionConfig.defaults(),
                GpuBatchConfig.defaults().withMaxWait(Duration.ofMillis(5)).withMaxBatchSize(64), decoding);
    }

    /** Ticks of the session's output frames that carry a detection. */
    static TreeSet<Long> detectedTicks(List<PerceptionFrame> out, String session) {
        TreeSet<Long> t = new TreeSet<>();
        for (PerceptionFrame f : out) {
            if (f.getSessionId().equals(session) && f.getFaceDetection() != null) {
                t.add(f.getTickIndex());
            }
        }
        return t;
    }

    /** The ticks on which a session's new pictures arrive, with a detection every {@code n}-th picture. */
    static TreeSet<Long> everyNthPicture(int ticks, int n) {
        TreeSet<Long> t = new TreeSet<>();
        long last = -1;
        int pictures = 0;
        for (long tick = 0; tick < ticks; tick++) {
            if (seqOf(tick) != last) {
                last = seqOf(tick);
                if (pictures++ % n == 0) {
                    t.add(tick);
                }
            }
        }
        return t;
    }

    /** The faces of a frame's detection equal ONNX Runtime's on its picture, within the stated tolerances. */
    static void assertMatchesOnnxRuntime(PerceptionFrame f) throws Exception {
        List<Face> expected;
        byte[] jpeg = new byte[f.getCamera().getJpeg().remaining()];
        f.getCamera().getJpeg().duplicate().get(jpeg);
        try (Mat bgr = LipTracker.decode(jpeg, Integer.MAX_VALUE)) {
            expected = ort.detect(bgr);
        }
        List<DetectedFace> got = f.getFaceDetection().getFaces();
        assertThat(f.getFaceDetection().getPictureSeq()).isEqualTo(f.getCamera().getSeq());
        assertThat(got).as("%s tick %d: face count", f.getSessionId(), f.getTickIndex()).hasSameSizeAs(expected);
        for (int i = 0; i < got.size(); i++) {
            DetectedFace g = got.get(i);
            Face e = expected.get(i);
            float box = max(Math.abs(g.getX() - e.x), Math.abs(g.getY() - e.y), Math.abs(g.getWidth() - e.width),
                    Math.abs(g.getHeight() - e.height));
            float kp = 0;
            for (int k = 0; k < 12; k++) {
                kp = Math.max(kp, Math.abs(g.getKeypoints().get(k) - e.keypoints[k]));
            }
            float score = Math.abs(g.getScore() - e.score);
            maxDiff.merge(0, box, Math::max);
            maxDiff.merge(1, kp, Math::max);
            maxDiff.merge(2, score, Math::max);
            assertThat(box).as("%s tick %d face %d box", f.getSessionId(), f.getTickIndex(), i).isLessThanOrEqualTo(PIXELS);
            assertThat(kp).as("%s tick %d face %d keypoints", f.getSessionId(), f.getTickIndex(), i).isLessThanOrEqualTo(PIXELS);
            assertThat(score).as("%s tick %d face %d score", f.getSessionId(), f.getTickIndex(), i).isLessThanOrEqualTo(SCORE);
        }
    }

    private static float max(float... v) {
        float m = 0;
        for (float x : v) {
            m = Math.max(m, x);
        }
        return m;
    }

    @Test
    void detectionsOfInterleavedSessionsMatchOnnxRuntimeOnTheSamePictures() throws Exception {
        interleavedSessionsMatchOnnxRuntime(FaceJpegDecoding.AUTO);
    }

    /** The JPEG path of the GPU (the encoder's detectJpeg; here the twin's, with the JDK decoder) keeps ONNX Runtime's faces. */
    @Test
    void picturesDecodedByTheEncoderGiveOnnxRuntimesFacesOnTheSameSchedule() throws Exception {
        interleavedSessionsMatchOnnxRuntime(FaceJpegDecoding.ENCODER);
    }

    private void interleavedSessionsMatchOnnxRuntime(FaceJpegDecoding decoding) throws Exception {
        int ticks = 12;
        List<PerceptionFrame> in = new ArrayList<>();
        for (long t = 0; t < ticks; t++) {
            for (String s : List.of("astro", "pair", "portrait")) {
                in.add(frame(s, t, seqOf(t), null));
            }
            if (t < 4) {
                in.add(frame("nobody", t, t, null)); // a new picture every tick
            }
        }
        BatchedFaceOperator op = operator(decoding);
        try (var h = harness(op)) {
            h.setProcessingTime(0);
            h.open();
            assertThat(op.decodesWithEncoder()).isEqualTo(decoding == FaceJpegDecoding.ENCODER);
            feed(h, in, 6);
            List<PerceptionFrame> out = h.extractOutputValues();
            assertThat(out).hasSize(in.size());
            int faces = 0;
            for (PerceptionFrame f : out) {
                if (f.getFaceDetection() != null) {
                    assertMatchesOnnxRuntime(f);
                    faces += f.getFaceDetection().getFaces().size();
                }
            }
            // routing off: perception's every-5th-picture schedule, and every picture while no face was found
            TreeSet<Long> schedule = everyNthPicture(ticks, PerceptionConfig.defaults().detectEveryNthFrame);
            assertThat(detectedTicks(out, "astro")).isEqualTo(schedule);
            assertThat(detectedTicks(out, "pair")).isEqualTo(schedule);
            assertThat(detectedTicks(out, "portrait")).isEqualTo(schedule);
            assertThat(detectedTicks(out, "nobody")).containsExactly(0L, 1L, 2L, 3L);
            assertThat(out).filteredOn(f -> f.getSessionId().equals("pair") && f.getFaceDetection() != null)
                    .allSatisfy(f -> assertThat(f.getFaceDetection().getFaces()).hasSize(2));
            assertThat(out).filteredOn(f -> f.getSessionId().equals("nobody"))
                    .allSatisfy(f -> assertThat(f.getFaceDetection().getFaces()).isEmpty());
            assertThat(faces).isEqualTo(4 * schedule.size());
            assertThat(op.detectionCount()).isEqualTo(3L * schedule.size() + 4);
            assertThat(op.batchSizeHistogram().getCount()).as("batched, not one call per picture").isLessThan(op.detectionCount());
            assertThat(op.badPictureCount()).isZero();
            for (String s : List.of("astro", "pair", "portrait", "nobody")) {
                List<Long> ticksOf = out.stream().filter(f -> f.getSessionId().equals(s)).map(PerceptionFrame::getTickIndex).toList();
                assertThat(ticksOf).as("%s in tick order", s).isSorted();
            }
        }
    }

    private static RouteDecision route(FaceMode mode, int everyN, boolean lips) {
        return RouteDecision.newBuilder().setFaceMode(mode).setFaceEveryN(everyN).setLipFeatures(lips).build();
    }

    @Test
    void theRoutersFaceModesChooseWhichPicturesAreDetected() throws Exception {
        int ticks = 15;
        Map<String, RouteDecision> routes = new LinkedHashMap<>();
        routes.put("every", route(FaceMode.EVERY_FRAME, 1, true));
        routes.put("third", route(FaceMode.EVERY_NTH, 3, true));
        routes.put("track", route(FaceMode.TRACK_ONLY, 3, true));
        routes.put("off", route(FaceMode.OFF, 3, true));
        routes.put("noLips", route(FaceMode.EVERY_FRAME, 1, false));
        List<PerceptionFrame> in = new ArrayList<>();
        for (long t = 0; t < ticks; t++) {
            for (Map.Entry<String, RouteDecision> r : routes.entrySet()) {
                in.add(frame(r.getKey(), t, seqOf(t), pictures.get("astro")[(int) (seqOf(t) % 4)], r.getValue()));
            }
        }
        BatchedFaceOperator op = operator();
        try (var h = harness(op)) {
            h.setProcessingTime(0);
            h.open();
            feed(h, in, 10);
            List<PerceptionFrame> out = h.extractOutputValues();
            assertThat(out).hasSize(in.size());
            assertThat(detectedTicks(out, "every")).isEqualTo(everyNthPicture(ticks, 1));
            assertThat(detectedTicks(out, "third")).isEqualTo(everyNthPicture(ticks, 3));
            assertThat(everyNthPicture(ticks, 3)).hasSizeGreaterThanOrEqualTo(3);
            assertThat(detectedTicks(out, "track")).isEmpty();
            assertThat(detectedTicks(out, "off")).isEmpty();
            assertThat(detectedTicks(out, "noLips")).isEmpty();
            for (PerceptionFrame f : out) {
                if (f.getFaceDetection() != null) {
                    assertThat(f.getFaceDetection().getFaces()).hasSize(1);
                }
            }
            assertThat(op.passedStraightCount()).as("frames with nothing to detect do not wait").isPositive();
        }
    }

    @Test
    void aCorruptPictureIsCountedPassedOnAndDoesNotDisturbOtherSessions() throws Exception {
        corruptPicturesAreCountedAndPassedOn(FaceJpegDecoding.AUTO);
    }

    /** Pictures the encoder's decoder refuses in the batch: counted, passed on, the session's schedule unmoved. */
    @Test
    void aPictureTheEncodersDecoderRefusesIsCountedPassedOnAndDoesNotDisturbOtherSessions() throws Exception {
        corruptPicturesAreCountedAndPassedOn(FaceJpegDecoding.ENCODER);
    }

    private void corruptPicturesAreCountedAndPassedOn(FaceJpegDecoding decoding) throws Exception {
        byte[] good = pictures.get("astro")[0];
        byte[] truncated = Arrays.copyOf(good, 20);
        byte[] garbage = new byte[5000];
        new java.util.Random(7).nextBytes(garbage);
        List<PerceptionFrame> in = new ArrayList<>();
        RouteDecision every = route(FaceMode.EVERY_FRAME, 1, true);
        for (long t = 0; t < 4; t++) {
            in.add(frame("bad", t, t, t == 1 ? truncated : t == 2 ? garbage : good, every));
            in.add(frame("astro", t, t, null));
            in.add(frame("portrait", t, t, every));
        }
        in.add(frame("bad", 4, 4, new byte[0], every));
        BatchedFaceOperator op = operator(decoding);
        try (var h = harness(op)) {
            h.setProcessingTime(0);
            h.open();
            feed(h, in, 100); // batches of one tick: each session's next picture runs the waiting one first
            List<PerceptionFrame> out = h.extractOutputValues();
            assertThat(out).hasSize(in.size());
            assertThat(op.badPictureCount()).isEqualTo(3);
            assertThat(detectedTicks(out, "bad")).containsExactly(0L, 3L);
            assertThat(detectedTicks(out, "portrait")).containsExactly(0L, 1L, 2L, 3L);
            assertThat(detectedTicks(out, "astro")).containsExactly(0L);
            for (PerceptionFrame f : out) {
                if (f.getFaceDetection() != null) {
                    assertMatchesOnnxRuntime(f);
                }
            }
        }
    }

    @Test
    void aRestoredSnapshotKeepsEachSessionsScheduleExactlyLikeAnUninterruptedRun() throws Exception {
        int ticks = 24;
        RouteDecision third = route(FaceMode.EVERY_NTH, 3, true);
        List<PerceptionFrame> whole = new ArrayList<>();
        for (long t = 0; t < ticks; t++) {
            whole.add(frame("astro", t, seqOf(t), third));
            whole.add(frame("portrait", t, seqOf(t), null));
        }
        Map<String, TreeSet<Long>> expected = new LinkedHashMap<>();
        try (var h = harness(operator())) {
            h.setProcessingTime(0);
            h.open();
            feed(h, whole, 3);
            for (String s : List.of("astro", "portrait")) {
                expected.put(s, detectedTicks(h.extractOutputValues(), s));
            }
        }
        assertThat(expected.get("astro")).isEqualTo(everyNthPicture(ticks, 3));
        assertThat(expected.get("portrait")).isEqualTo(everyNthPicture(ticks, PerceptionConfig.defaults().detectEveryNthFrame));

        int cut = 2 * 11; // after tick 10: both sessions part-way between detections
        List<PerceptionFrame> got = new ArrayList<>();
        OperatorSubtaskState snapshot;
        try (var h = harness(operator())) {
            h.setProcessingTime(0);
            h.open();
            feed(h, whole.subList(0, cut - 2), 3);
            for (PerceptionFrame f : whole.subList(cut - 2, cut)) {
                h.processElement(f, f.getTickEndMicros() / 1000); // may still wait for their batch at the barrier
            }
            h.prepareSnapshotPreBarrier(1);
            assertThat(h.extractOutputValues()).hasSize(cut);
            snapshot = h.snapshot(1, h.getProcessingTime());
            got.addAll(h.extractOutputValues());
        }
        try (var h = harness(operator())) {
            h.setProcessingTime(0);
            h.initializeState(snapshot);
            h.open();
            feed(h, whole.subList(cut, whole.size()), 3);
            got.addAll(h.extractOutputValues());
        }
        for (String s : List.of("astro", "portrait")) {
            assertThat(detectedTicks(got, s)).as(s).isEqualTo(expected.get(s));
        }
    }
}
