package io.omnistream.jobs.gpu;

import io.omnistream.operators.fusion.FusedFrame;
import io.omnistream.operators.gpu.FusedFeatures;
import io.omnistream.operators.gpu.GpuStages;
import io.omnistream.operators.gpu.GpuStagesConfig;
import io.omnistream.operators.perception.PerceptionConfig;
import io.omnistream.operators.route.RouteConfig;
import io.omnistream.schemas.PerceptionFrame;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * The calls through which {@code SessionPipelineJob} adds the batched GPU stages ({@link GpuStages}): the batched VAD
 * and BlazeFace in front of perception ({@link #beforePerception}), and the other stages, whose
 * fused features go to {@code omni.features} ({@link FusedFeaturesSink}). Nothing is added when the stages are
 * off ({@link GpuStagesConfig#enabled()}: no GPU where the graph is built and not forced on).
 */
public final class GpuJobStages {
    public static final String SINK_UID = "sink-features";

    private GpuJobStages() {}

    /**
     * The routed frames perception should consume: with the Silero VAD and BlazeFace computed in cross-session batches
     * when the stages are on ({@link GpuStages#beforePerception}), else {@code routed} itself.
     */
    public static DataStream<PerceptionFrame> beforePerception(DataStream<PerceptionFrame> routed,
            PerceptionConfig perception, RouteConfig routing, GpuStagesConfig config) {
        return GpuStages.beforePerception(routed, perception, routing, config);
    }

    /** Returns the stages' streams, or null when they are off. */
    public static GpuStages.Result add(DataStream<PerceptionFrame> frames, DataStream<FusedFrame> fused,
            GpuStagesConfig config, Sink<FusedFeatures> features) {
        GpuStages.Result stages = GpuStages.build(frames, fused, config);
        if (stages != null && features != null) {
            stages.features.sinkTo(features).name(FusedFeaturesSink.TOPIC).uid(SINK_UID);
        }
        return stages;
    }
}
