package io.omnistream.operators.gpu;

import static io.omnistream.operators.perception.PerceptionTestData.LIBRIVOX_0880;
import static io.omnistream.operators.perception.PerceptionTestData.astronaut;
import static io.omnistream.operators.perception.PerceptionTestData.face;
import static io.omnistream.operators.perception.PerceptionTestData.jpeg;
import static io.omnistream.operators.perception.PerceptionTestData.portrait;
import static io.omnistream.operators.perception.PerceptionTestData.readWav;
import static io.omnistream.operators.perception.PerceptionTestData.tickRms;
import static org.assertj.core.api.Assertions.assertThat;
import static org.bytedeco.opencv.global.opencv_core.hconcat;

import io.omnistream.operators.fusion.FusedFrame;
import io.omnistream.operators.perception.BadInput;
import io.omnistream.operators.perception.PerceptionConfig;
import io.omnistream.operators.perception.PerceptionFunction;
import io.omnistream.operators.perception.PerceptionTestData;
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
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.assertj.core.data.Offset;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Perception fed by the batched BlazeFace stage decides exactly as perception running its own ONNX Runtime detector:
 * real sessions (a recorded utterance with the astronaut's mouth following it; the same under changing router face
 * modes with a camera gap; two people in the picture; a corrupt picture) through {@link BatchedFaceOperator} then
 * {@link PerceptionFunction}, against {@link PerceptionFunction} alone, tick by tick.
 */
class BatchedFacePerceptionTest {
    private static final int TICK = 640;
    private static final int LEAD_TICKS = 25;
    private static final List<PerceptionFrame> frames = new ArrayList<>();
    private static int speechTicks;

    /** The router's face mode for session "routed" at a tick. */
    private static RouteDecision route(long t) {
        RouteDecision.Builder b = RouteDecision.newBuilder();
        if (t < 50) {
            return b.setFaceMode(FaceMode.EVERY_NTH).setFaceEveryN(3).build();
        } else if (t < 70) {
            return b.setFaceMode(FaceMode.EVERY_FRAME).build();
        } else if (t < 90) {
            return b.setFaceMode(FaceMode.TRACK_ONLY).setFaceEveryN(3).build();
        } else if (t < 100) {
            return b.setFaceMode(FaceMode.OFF).build();
        }
        return b.setFaceMode(FaceMode.EVERY_NTH).setFaceEveryN(4).build();
    }

    @BeforeAll
    static void buildSessions() throws Exception {
        short[] speech = readWav(LIBRIVOX_0880);
        short[] all = PerceptionTestData.withSilence(speech, LEAD_TICKS * TICK, 25 * TICK);
        speechTicks = speech.length / TICK;
        double[] rms = tickRms(all, TICK);
        double peak = Arrays.stream(rms).max().orElse(1);
        byte[][] levels = new byte[9][];
        byte[] pair;
        try (Mat base = astronaut(); Mat one = portrait(base); Mat two = new Mat()) {
            for (int i = 0; i < levels.length; i++) {
                levels[i] = face(base, i / 8.0);
            }
            hconcat(one, one, two);
            pair = jpeg(two);
        }
        byte[] corrupt = {(byte) 0xff, (byte) 0xd8, 1, 2, 3};
        long seq = -1;
        byte[] picture = null;
        for (int t = 0; t < rms.length; t++) {
            long pictureSeq = t * 40 / 67; // 15 fps camera
            if (pictureSeq != seq) {
                seq = pictureSeq;
                double open = Math.min(1, Math.sqrt(rms[t] / peak) * 1.3);
                picture = levels[(int) Math.round(open * 8)];
            }
            frames.add(PerceptionTestData.frame("talk", t, all, TICK, t == 59 ? corrupt : picture, seq));
            PerceptionFrame.Builder routed = PerceptionFrame.newBuilder(PerceptionTestData.frame("routed", t, all, TICK, picture, seq))
                    .setRoute(route(t));
            if (t >= 60 && t < 65) {
                routed.setCamera(null).setCameraState(TrackState.MISSING); // camera gap: the face is dropped
            }
            frames.add(routed.build());
            if (t < 40) {
                PerceptionFrame f = PerceptionTestData.frame("pair", t, all, TICK, pair, seq);
                f.setCamera(VideoFrame.newBuilder(f.getCamera()).setWidth(400).setHeight(260).build());
                frames.add(f);
            }
        }
    }

    private static List<FusedFrame> perceive(PerceptionFunction fn, List<PerceptionFrame> in) throws Exception {
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(fn), PerceptionFrame::getSessionId,
                Types.STRING)) {
            h.open();
            for (PerceptionFrame f : in) {
                h.processElement(f, f.getTickEndMicros() / 1000);
            }
            return new ArrayList<>(h.extractOutputValues());
        }
    }

    private static Map<String, List<FusedFrame>> bySession(List<FusedFrame> out) {
        Map<String, List<FusedFrame>> m = new LinkedHashMap<>();
        out.forEach(f -> m.computeIfAbsent(f.sessionId, k -> new ArrayList<>()).add(f));
        return m;
    }

    private static List<PerceptionFrame> copies() {
        return frames.stream().map(f -> PerceptionFrame.newBuilder(f).build()).toList();
    }

    @Test
    void perceptionWithTheBatchedFacesDecidesExactlyLikePerceptionWithItsOwnDetector() throws Exception {
        PerceptionConfig config = PerceptionConfig.defaults();
        config.logMelEnabled = false;
        PerceptionFunction cpu = new PerceptionFunction(config);
        Map<String, List<FusedFrame>> expected = bySession(perceive(cpu, copies()));

        BatchedFaceOperator stage = new BatchedFaceOperator(config,
                GpuBatchConfig.defaults().withMaxWait(Duration.ofMillis(5)).withMaxBatchSize(256));
        List<PerceptionFrame> withFaces;
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(stage, PerceptionFrame::getSessionId, Types.STRING)) {
            h.setProcessingTime(0);
            h.open();
            int i = 0;
            for (PerceptionFrame f : copies()) {
                h.processElement(f, f.getTickEndMicros() / 1000);
                if (++i % 3 == 0) {
                    h.setProcessingTime(h.getProcessingTime() + 5); // one tick of the three sessions per batch wait
                }
            }
            h.setProcessingTime(h.getProcessingTime() + 5);
            withFaces = h.extractOutputValues();
        }
        assertThat(withFaces).hasSameSizeAs(frames);
        assertThat(stage.badPictureCount()).isEqualTo(1);
        PerceptionFunction fed = new PerceptionFunction(config);
        Map<String, List<FusedFrame>> got = bySession(perceive(fed, withFaces));

        // the twin's boxes equal ONNX Runtime's within ~1e-4 px, so the crops and features are the same; on a GPU
        // (boxes within gpu-kernels' tolerance) a crop may round to the next pixel: features within a small margin
        float feature = stage.onGpu() ? 0.05f : 1e-4f;
        float motion = stage.onGpu() ? 1f : 1e-4f;
        assertThat(got.keySet()).containsExactlyElementsOf(expected.keySet());
        for (String s : expected.keySet()) {
            List<FusedFrame> e = expected.get(s);
            List<FusedFrame> g = got.get(s);
            assertThat(g).hasSameSizeAs(e);
            for (int i = 0; i < e.size(); i++) {
                FusedFrame a = e.get(i);
                FusedFrame b = g.get(i);
                String at = s + " tick " + a.tickIndex;
                assertThat(b.tickIndex).isEqualTo(a.tickIndex);
                assertThat(b.faceUsable).as(at).isEqualTo(a.faceUsable);
                assertThat(b.lipsClosed).as(at).isEqualTo(a.lipsClosed);
                assertThat(b.backgroundSpeech).as(at).isEqualTo(a.backgroundSpeech);
                assertThat(b.lipMotion).as(at).isCloseTo(a.lipMotion, Offset.offset(motion));
                assertThat(b.lipOpenness).as(at).isCloseTo(a.lipOpenness, Offset.offset(feature));
                assertThat(b.avCorrelation).as(at).isCloseTo(a.avCorrelation, Offset.offset(feature));
                assertThat(b.speakingProbability).as(at).isCloseTo(a.speakingProbability, Offset.offset(feature));
            }
        }
        // the sessions exercise what they should: a face while speaking, lips moving with the speech, two people
        List<FusedFrame> talk = expected.get("talk").subList(LEAD_TICKS + 5, LEAD_TICKS + speechTicks - 5);
        assertThat(talk.stream().filter(f -> f.faceUsable).count()).isGreaterThan(talk.size() - 3);
        assertThat(talk.stream().filter(f -> f.speakingProbability > 0.6f).count()).isGreaterThan(talk.size() / 2);
        assertThat(expected.get("pair").subList(1, 40)).allSatisfy(f -> assertThat(f.faceUsable).isTrue());
        assertThat(expected.get("routed").get(62).faceUsable).as("camera gap").isFalse();

        // the same detections, all of them from the batched stage: none left on perception's CPU detector
        long detections = cpu.workCount("work.faceDetect.run");
        assertThat(detections).isGreaterThan(40);
        assertThat(fed.workCount("work.faceDetect.run")).isEqualTo(detections);
        assertThat(fed.workCount("work.faceDetect.batched")).isEqualTo(detections);
        assertThat(fed.workCount("work.faceDetect.cpu")).isZero();
        assertThat(cpu.workCount("work.faceDetect.cpu")).isEqualTo(detections);
        assertThat(cpu.workCount("work.faceDetect.batched")).isZero();
        assertThat(stage.detectionCount()).isEqualTo(detections);
        for (String counter : List.of("work.lips.run", "work.lips.skipped", "memory.face.released")) {
            assertThat(fed.workCount(counter)).as(counter).isEqualTo(cpu.workCount(counter));
        }
        assertThat(fed.badInputCount(BadInput.JPEG_CORRUPT)).isEqualTo(1).isEqualTo(cpu.badInputCount(BadInput.JPEG_CORRUPT));
    }
}
