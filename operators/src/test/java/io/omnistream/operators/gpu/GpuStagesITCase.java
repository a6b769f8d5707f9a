package io.omnistream.operators.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import io.omnistream.gpu.attention.AttentionBatch;
import io.omnistream.gpu.attention.GatedAttentionTwin;
import io.omnistream.gpu.attention.Modality;
import io.omnistream.gpu.logmel.LogMelTwin;
import io.omnistream.gpu.logmel.StreamingLogMel;
import io.omnistream.gpu.quant.Int8QuantizerTwin;
import io.omnistream.operators.fusion.FusedFrame;
import io.omnistream.operators.perception.PerceptionConfig;
import io.omnistream.operators.perception.PerceptionPipeline;
import io.omnistream.operators.perception.PerceptionTestData;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.RouteDecision;
import io.omnistream.schemas.TrackState;
import io.omnistream.schemas.VideoFrame;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The batched GPU stages as the job adds them (the VAD and BlazeFace in front of the real perception operator,
 * {@link GpuStages#beforePerception}; {@link GpuStages#build} behind it), in a MiniCluster (parallelism 2; the GPU
 * where present, else the twins): aligned frames of three sessions (a face with
 * a changing screen, the same with the router's decision on every frame, audio only) come out as int8 fused
 * features per session and window, with the tokens each modality had, the router's gates, and for the audio-only
 * session exactly the values its own log-mel, projection, attention and quantisation give.
 */
class GpuStagesITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static final int TICKS = 24;
    private static final int TICK_SAMPLES = 640;
    private static final int SCREEN_CHANGE_TICK = 12;

    private static short[] voice(int seed) {
        short[] s = new short[TICKS * TICK_SAMPLES];
        for (int i = 0; i < s.length; i++) {
            double t = i / 16000.0;
            double env = 0.2 + 0.15 * Math.sin(2 * Math.PI * 3 * t + seed);
            s[i] = (short) Math.round(32767 * env * (0.6 * Math.sin(2 * Math.PI * (180 + 40 * seed) * t)
                    + 0.3 * Math.sin(2 * Math.PI * 2 * (180 + 40 * seed) * t)));
        }
        return s;
    }

    private static byte[] screen(double grey) {
        try (Mat m = new Mat(180, 320, CV_8UC3, new Scalar(grey, grey, grey, 0))) {
            try (Mat band = m.rowRange(60, 120)) {
                band.put(new Scalar(255 - grey, 40, grey / 2, 0));
            }
            return PerceptionTestData.jpeg(m);
        }
    }

    private static List<PerceptionFrame> session(String id, short[] audio, boolean face, RouteDecision route) {
        List<PerceptionFrame> frames = new ArrayList<>();
        Mat astronaut = face ? PerceptionTestData.astronaut() : null;
        byte[] before = screen(30);
        byte[] after = screen(200);
        for (int t = 0; t < TICKS; t++) {
            byte[] jpeg = face ? PerceptionTestData.face(astronaut, 0.5 + 0.5 * Math.sin(t * 0.7)) : null;
            PerceptionFrame f = PerceptionTestData.frame(id, t, audio, TICK_SAMPLES, jpeg, t);
            PerceptionFrame.Builder b = PerceptionFrame.newBuilder(f).setRoute(route);
            if (face) {
                byte[] s = t < SCREEN_CHANGE_TICK ? before : after;
                b.setScreen(VideoFrame.newBuilder().setSeq(t < SCREEN_CHANGE_TICK ? 0 : 1).setCaptureTimeMicros(0)
                                .setWidth(320).setHeight(180).setJpeg(ByteBuffer.wrap(s)).build())
                        .setScreenState(TrackState.OK)
                        .setScreenChanged(t == 0 || t == SCREEN_CHANGE_TICK);
            }
            frames.add(b.build());
        }
        if (astronaut != null) {
            astronaut.close();
        }
        return frames;
    }

    @Test
    void sessionsGetInt8FusedFeaturesPerWindowWithTheirTokensGatesAndValues() throws Exception {
        int selfOnly = Modality.diagonalGates();
        RouteDecision route = RouteDecision.newBuilder().setAttentionPairs(selfOnly).build();
        short[] audioOnly = voice(3);
        List<PerceptionFrame> input = new ArrayList<>();
        List<List<PerceptionFrame>> sessions = List.of(session("face", voice(1), true, null),
                session("routed", voice(2), true, route), session("audio", audioOnly, false, null));
        for (int t = 0; t < TICKS; t++) {
            for (List<PerceptionFrame> s : sessions) {
                input.add(s.get(t));
            }
        }
        GpuStagesConfig config = GpuStagesConfig.forced();
        PerceptionConfig perception = GpuStages.perceptionConfig(PerceptionConfig.defaults(), config);
        assertThat(perception.logMelEnabled).isFalse();

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        // event time as in the job: each frame stamped with its tick end (the assembler's watermark rule needs it)
        DataStream<PerceptionFrame> frames = env.fromData(input, new AvroTypeInfo<>(PerceptionFrame.class))
                .assignTimestampsAndWatermarks(WatermarkStrategy.<PerceptionFrame>forMonotonousTimestamps()
                        .withTimestampAssigner((f, t) -> f.getTickEndMicros() / 1000));
        // the batched VAD and BlazeFace in front of perception, as the job adds them
        DataStream<PerceptionFrame> beforePerception = GpuStages.beforePerception(frames, perception,
                io.omnistream.operators.route.RouteConfig.defaults(), config);
        DataStream<FusedFrame> fused = PerceptionPipeline.perceive(beforePerception, perception);
        GpuStages.Result stages = GpuStages.build(frames, fused, config);
        List<FusedFeatures> out = new ArrayList<>();
        // what the stages attached, without the pictures (the collect sink's buffer is small): session, tick, VAD,
        // faces detected (-1: none attached)
        DataStream<String> attached = beforePerception.map(f -> f.getSessionId() + "," + f.getTickIndex() + ","
                + f.getVadProbability() + "," + (f.getFaceDetection() == null ? -1 : f.getFaceDetection().getFaces().size()),
                org.apache.flink.api.common.typeinfo.Types.STRING);
        List<String> perceived = new ArrayList<>();
        try (CloseableIterator<FusedFeatures> it = stages.features.collectAsync();
                CloseableIterator<String> in = attached.collectAsync()) {
            env.execute("gpu-stages-it");
            it.forEachRemaining(out::add);
            in.forEachRemaining(perceived::add);
        }
        assertThat(perceived).hasSameSizeAs(input);
        Map<String, List<Long>> detected = new HashMap<>();
        for (String line : perceived) {
            String[] f = line.split(",");
            assertThat(Float.parseFloat(f[2])).as("batched VAD of %s", line).isBetween(0f, 1f);
            int faces = Integer.parseInt(f[3]);
            if (faces >= 0) {
                assertThat(faces).as(line).isEqualTo(1);
                detected.computeIfAbsent(f[0], k -> new ArrayList<>()).add(Long.parseLong(f[1]));
            }
        }
        // routing off: every 5th picture; the router's default face mode: every picture; no camera: none
        assertThat(detected.get("face")).containsExactlyInAnyOrder(0L, 5L, 10L, 15L, 20L);
        assertThat(detected.get("routed")).hasSize(TICKS);
        assertThat(detected).doesNotContainKey("audio");

        Map<String, List<FusedFeatures>> bySession = new HashMap<>();
        for (FusedFeatures f : out) {
            bySession.computeIfAbsent(f.sessionId, k -> new ArrayList<>()).add(FusedFeatures.fromBytes(f.toBytes()));
        }
        assertThat(bySession).containsOnlyKeys("face", "routed", "audio");
        int windows = TICKS / config.windowTicks;
        for (List<FusedFeatures> list : bySession.values()) {
            list.sort(Comparator.comparingLong(f -> f.windowStartTick));
            assertThat(list).extracting(f -> f.windowStartTick).containsExactly(0L, 8L, 16L);
            // 4 log-mel frames per 40 ms tick, 2 in the first tick (the first 25 ms window completes after 400 samples)
            assertThat(list).extracting(f -> f.segmentTokens[0]).containsExactly(30, 32, 32);
            for (FusedFeatures f : list) {
                assertThat(f.dim).isEqualTo(config.heads * 64);
                assertThat(f.ticks).isEqualTo(config.windowTicks);
                assertThat(f.segmentTokens[3]).isZero();
            }
        }
        for (String id : List.of("face", "routed")) {
            List<FusedFeatures> list = bySession.get(id);
            // a screen token in the windows where the screen picture changed (ticks 0 and 12)
            assertThat(list).extracting(f -> f.segmentTokens[2]).containsExactly(1, 1, 0);
            for (FusedFeatures f : list) {
                assertThat(f.segmentTokens[1]).as("lip tokens of %s window %d", id, f.windowStartTick).isBetween(1, 8);
                int present = f.segmentTokens[2] > 0 ? 0b0111 : 0b0011;
                assertThat(f.rowModalities).containsExactly(present == 0b0111 ? new int[] {0, 1, 2} : new int[] {0, 1});
                int allPresentPairs = 0;
                for (int q = 0; q < 4; q++) {
                    for (int k = 0; k < 4; k++) {
                        if ((present >> q & 1) != 0 && (present >> k & 1) != 0) {
                            allPresentPairs |= 1 << (q * 4 + k);
                        }
                    }
                }
                assertThat(f.gate).isEqualTo(id.equals("routed") ? selfOnly & allPresentPairs : allPresentPairs);
                for (int r = 0; r < f.rows(); r++) {
                    assertThat(f.scales[r]).isPositive();
                }
            }
        }
        // the audio-only session, recomputed from its samples with the twins
        List<FusedFeatures> audio = bySession.get("audio");
        StreamingLogMel logMel = new StreamingLogMel();
        LogMelTwin logMelTwin = new LogMelTwin();
        ModalityProjection projection = new ModalityProjection(config.heads, config.projectionSeed);
        int dim = config.heads * 64;
        for (int w = 0; w < windows; w++) {
            float[] raw = new float[0];
            for (int t = w * config.windowTicks; t < (w + 1) * config.windowTicks; t++) {
                float[] x = new float[TICK_SAMPLES];
                for (int i = 0; i < x.length; i++) {
                    x[i] = audioOnly[t * TICK_SAMPLES + i] / 32768f;
                }
                float[] m = logMel.process(x, logMelTwin);
                int old = raw.length;
                raw = Arrays.copyOf(raw, old + m.length);
                System.arraycopy(m, 0, raw, old, m.length);
            }
            int n = raw.length / 128;
            float[] q = new float[n * dim];
            float[] k = new float[n * dim];
            float[] v = new float[n * dim];
            projection.project(0, raw, n, q, k, v, 0);
            AttentionBatch b = AttentionBatch.builder(config.heads).add(n, 0, 0, 0, Modality.gate(Modality.AUDIO, Modality.AUDIO)).build();
            float[] o = new float[b.tensorFloats()];
            new GatedAttentionTwin().compute(b, q, k, v, o);
            float[] pooled = new float[dim];
            for (int t = 0; t < n; t++) {
                for (int j = 0; j < dim; j++) {
                    pooled[j] += o[t * dim + j];
                }
            }
            for (int j = 0; j < dim; j++) {
                pooled[j] /= n;
            }
            byte[] codes = new byte[dim];
            float[] scale = new float[1];
            new Int8QuantizerTwin().quantize(pooled, 1, dim, codes, scale);
            FusedFeatures got = audio.get(w);
            assertThat(got.rowModalities).containsExactly(0);
            assertThat(got.gate).isEqualTo(Modality.gate(Modality.AUDIO, Modality.AUDIO));
            for (int j = 0; j < dim; j++) {
                assertThat((double) Math.abs(got.value(0, j) - codes[j] * scale[0]))
                        .as("window %d value %d", w, j).isLessThanOrEqualTo(2.0 * scale[0] + 1e-3);
            }
        }
    }
}
