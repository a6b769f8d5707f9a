package io.omnistream.operators.gpu;

import io.omnistream.operators.fusion.FusedFrame;
import io.omnistream.operators.perception.PerceptionConfig;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.MediaKind;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.VideoFrame;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The session pipeline's batched GPU stages: the Silero VAD and BlazeFace of all sessions batched in front of
 * perception ({@link #vad}, {@link BatchedVadOperator}; {@link #face}, {@link BatchedFaceOperator}; both:
 * {@link #beforePerception}), and, added in one call, the audio front-end batched across
 * sessions ({@link LogMelBatchOperator} on each tick's aligned audio, instead of per session inside perception) and
 * the sparse cross-modal attention over windows of audio, lip and screen tokens ({@link CrossModalWindowAssembler},
 * then {@link CrossModalFusionKernel} in a {@link GpuBatchOperator}), whose int8 fused features per session and window
 * are the stage's output. Runs when {@link GpuStagesConfig#enabled()}: on the GPU where one is present, on the Java
 * twins when forced on without one (CI runs that very graph on the CPU).
 *
 * <pre>{@code
 * PerceptionConfig p = GpuStages.perceptionConfig(config.perception, config.gpu);  // CPU log-mel off when batched
 * DataStream<PerceptionFrame> in = GpuStages.beforePerception(frames, p, routing, config.gpu);  // VAD, faces batched
 * ... perception built from p on in ...
 * DataStream<FusedFeatures> features = GpuStages.build(frames, perception.fused, config.gpu);  // null when off
 * }</pre>
 */
public final class GpuStages {
    public static final String LOG_MEL_UID = "gpu-log-mel";
    public static final String ATTENTION_UID = "gpu-cross-modal-attention";
    public static final String VAD_UID = "gpu-silero-vad";
    public static final String FACE_UID = "gpu-blazeface";

    private GpuStages() {}

    /** The perception settings to use: the per-session CPU log-mel is switched off when the batched one runs. */
    public static PerceptionConfig perceptionConfig(PerceptionConfig perception, GpuStagesConfig gpu) {
        if (gpu == null || !gpu.enabled() || !perception.logMelEnabled) {
            return perception;
        }
        PerceptionConfig c = perception.copy();
        c.logMelEnabled = false;
        return c;
    }

    /**
     * The routed frames with the Silero VAD of every session computed in cross-session batches
     * ({@link BatchedVadOperator}, {@code vadProbability} set), for perception to consume; the frames unchanged when
     * the stages or {@link GpuStagesConfig#batchedVad} are off.
     */
    public static DataStream<PerceptionFrame> vad(DataStream<PerceptionFrame> routed, PerceptionConfig perception,
            io.omnistream.operators.route.RouteConfig routing, GpuStagesConfig config) {
        if (config == null || !config.enabled() || !config.batchedVad) {
            return routed;
        }
        config.validate();
        return BatchedVadOperator.apply(routed.keyBy(PerceptionFrame::getSessionId, Types.STRING), perception, routing,
                config.vadBatch).uid(VAD_UID);
    }

    /**
     * The routed frames with BlazeFace run on the camera pictures of every session in cross-session batches
     * ({@link BatchedFaceOperator}, {@code faceDetection} set on the pictures perception would detect on); the frames
     * unchanged when the stages or {@link GpuStagesConfig#batchedFace} are off.
     */
    public static DataStream<PerceptionFrame> face(DataStream<PerceptionFrame> routed, PerceptionConfig perception,
            GpuStagesConfig config) {
        if (config == null || !config.enabled() || !config.batchedFace) {
            return routed;
        }
        config.validate();
        return BatchedFaceOperator.apply(routed.keyBy(PerceptionFrame::getSessionId, Types.STRING), perception,
                config.faceBatch, config.faceJpegDecoding).uid(FACE_UID);
    }

    /**
     * The routed frames as perception should consume them: the batched VAD ({@link #vad}) and the batched BlazeFace
     * ({@link #face}) in front of it, each where switched on, on one partitioning by session (the face stage reuses the
     * VAD stage's, which keeps every frame on its session's subtask); the frames unchanged when the stages are off.
     */
    public static DataStream<PerceptionFrame> beforePerception(DataStream<PerceptionFrame> routed,
            PerceptionConfig perception, io.omnistream.operators.route.RouteConfig routing, GpuStagesConfig config) {
        DataStream<PerceptionFrame> withVad = vad(routed, perception, routing, config);
        if (withVad == routed || config == null || !config.enabled() || !config.batchedFace) {
            return face(withVad, perception, config);
        }
        return BatchedFaceOperator.apply(org.apache.flink.streaming.api.datastream.DataStreamUtils.reinterpretAsKeyedStream(
                withVad, PerceptionFrame::getSessionId, Types.STRING), perception, config.faceBatch, config.faceJpegDecoding)
                .uid(FACE_UID);
    }

    /** The streams the stages add. */
    public static final class Result {
        /** Normalised log-mel frames per session and tick, computed in cross-session batches. */
        public final DataStream<LogMelFeatures> logMel;
        /** Int8 fused features per session and attention window. */
        public final DataStream<FusedFeatures> features;

        Result(DataStream<LogMelFeatures> logMel, DataStream<FusedFeatures> features) {
            this.logMel = logMel;
            this.features = features;
        }
    }

    /** Adds the stages; returns null when {@code config} says they are off. */
    public static Result build(DataStream<PerceptionFrame> frames, DataStream<FusedFrame> fused, GpuStagesConfig config) {
        if (config == null || !config.enabled()) {
            return null;
        }
        config.validate();
        // one shuffle by session puts each session's frames in tick order on one subtask, whatever the upstream
        // partitioning; it splits them into the tick audio (for the batched log-mel) and the frame tokens
        SingleOutputStreamOperator<MediaChunk> tickAudio = frames
                .keyBy(PerceptionFrame::getSessionId, Types.STRING)
                .process(new SplitFrames(), new AvroTypeInfo<>(MediaChunk.class))
                .uid("gpu-split-frames").name("gpu: tick audio and frame tokens");
        SingleOutputStreamOperator<LogMelFeatures> logMel = LogMelBatchOperator.apply(
                tickAudio.keyBy(MediaChunk::getSessionId, Types.STRING), config.batch);
        logMel.uid(LOG_MEL_UID).name("gpu: log-mel batched across sessions");

        TypeInformation<TickTokens> tokenType = TypeInformation.of(TickTokens.class);
        DataStream<TickTokens> audio = logMel.map(GpuStages::audioTokens, tokenType).name("gpu-audio-tokens")
                .uid("gpu-audio-tokens");
        DataStream<TickTokens> lips = fused.map(GpuStages::lipTokens, tokenType).name("gpu-lip-tokens")
                .uid("gpu-lip-tokens");
        DataStream<TickTokens> screen = tickAudio.getSideOutput(SplitFrames.FRAME_TOKENS);
        SingleOutputStreamOperator<AttentionRequest> requests = audio.union(lips, screen)
                .keyBy(t -> t.sessionId, Types.STRING)
                .process(new CrossModalWindowAssembler(config), TypeInformation.of(AttentionRequest.class))
                .uid("gpu-cross-modal-windows").name("gpu: cross-modal token windows");
        SingleOutputStreamOperator<FusedFeatures> features = GpuBatchOperator.apply(requests,
                "gpu: gated cross-modal attention + int8", new CrossModalFusionKernel(), config.batch,
                TypeInformation.of(FusedFeatures.class));
        features.uid(ATTENTION_UID);
        return new Result(logMel, features);
    }

    /** Per frame: the tick audio as the main output, the frame's tokens (gates, screen) as a side output. */
    static final class SplitFrames extends KeyedProcessFunction<String, PerceptionFrame, MediaChunk> {
        private static final long serialVersionUID = 1L;
        static final OutputTag<TickTokens> FRAME_TOKENS = new OutputTag<>("gpu-frame-tokens", TypeInformation.of(TickTokens.class));

        @Override
        public void processElement(PerceptionFrame f, Context ctx, Collector<MediaChunk> out) {
            out.collect(tickAudio(f));
            ctx.output(FRAME_TOKENS, frameTokens(f));
        }
    }

    /** The tick's aligned audio as one chunk for the batched front-end (seq = tick index). */
    static MediaChunk tickAudio(PerceptionFrame f) {
        return MediaChunk.newBuilder()
                .setSessionId(f.getSessionId())
                .setTrackId("aligned")
                .setKind(MediaKind.AUDIO)
                .setSeq(f.getTickIndex())
                .setCaptureTimeMicros(f.getTickStartMicros())
                .setArrivalTimeMicros(f.getMaxArrivalTimeMicros())
                .setDurationMicros(f.getTickEndMicros() - f.getTickStartMicros())
                .setSampleRate(16_000)
                .setWidth(0)
                .setHeight(0)
                .setPayload(f.getAudio())
                .build();
    }

    static TickTokens audioTokens(LogMelFeatures m) {
        return new TickTokens(m.sessionId, m.seq, m.captureTimeMicros, TickTokens.AUDIO, m.frames, m.logMel);
    }

    static TickTokens lipTokens(FusedFrame f) {
        if (!f.faceUsable) {
            return new TickTokens(f.sessionId, f.tickIndex, f.tickStartMicros, TickTokens.LIPS, 0, null);
        }
        return new TickTokens(f.sessionId, f.tickIndex, f.tickStartMicros, TickTokens.LIPS, 1,
                ModalityProjection.lipFeatures(f));
    }

    static TickTokens frameTokens(PerceptionFrame f) {
        TickTokens t = new TickTokens(f.getSessionId(), f.getTickIndex(), f.getTickStartMicros(),
                TickTokens.FRAME, 0, null);
        VideoFrame s = f.getScreen();
        if (f.getScreenChanged() && s != null) {
            float[] token = ScreenToken.of(s.getJpeg());
            if (token != null) {
                t.tokens = 1;
                t.values = token;
            }
        }
        t.attentionPairs = f.getRoute() == null ? -1 : f.getRoute().getAttentionPairs();
        return t;
    }
}
