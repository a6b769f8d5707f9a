package io.omnistream.jobs.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.connectors.kafka.KafkaConnectorConfig;
import io.omnistream.jobs.JobSinks;
import io.omnistream.jobs.JobSources;
import io.omnistream.jobs.PipelineConfig;
import io.omnistream.jobs.SessionPipelineJob;
import io.omnistream.operators.gpu.FusedFeatures;
import io.omnistream.operators.gpu.GpuStages;
import io.omnistream.operators.gpu.GpuStagesConfig;
import java.util.List;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

/**
 * The session pipeline's graph holds the batched GPU stages, and writes their fused features to
 * {@code omni.features}, exactly when {@link GpuStagesConfig} says so; with them on, perception's own per-session
 * log-mel is off and its VAD and face detections come from the batched stages in front of it. (The stages themselves run in a MiniCluster in operators' {@code GpuStagesITCase}; the features'
 * Kafka layout is {@link FusedFeatures#toBytes()}, tested in {@code FusedFeaturesTest}.)
 */
class GpuStagesWiringTest {

    private static List<String> operatorNames(GpuStagesConfig.Mode mode) {
        return graph(mode).getStreamGraph().getStreamNodes().stream().map(StreamNode::getOperatorName).toList();
    }

    private static StreamExecutionEnvironment graph(GpuStagesConfig.Mode mode) {
        KafkaConnectorConfig kafka = KafkaConnectorConfig.forTests();
        String nowhere = "localhost:1"; // building the graph connects to nothing
        PipelineConfig config = new PipelineConfig();
        config.checkpointInterval = java.time.Duration.ZERO;
        config.gpu = new GpuStagesConfig();
        config.gpu.mode = mode;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        new SessionPipelineJob(JobSources.kafka(nowhere, kafka), JobSinks.kafka(nowhere, kafka, null), config).build(env);
        return env;
    }

    @Test
    void forcedOnTheGraphBatchesLogMelAndAttentionAndWritesTheFeaturesTopic() {
        List<String> names = operatorNames(GpuStagesConfig.Mode.ON);
        assertThat(names).anyMatch(n -> n.contains("gpu: log-mel batched across sessions"));
        assertThat(names).anyMatch(n -> n.contains("gpu: cross-modal token windows"));
        assertThat(names).anyMatch(n -> n.contains("gpu: gated cross-modal attention + int8"));
        assertThat(names).anyMatch(n -> n.contains(FusedFeaturesSink.TOPIC));
    }

    @Test
    void forcedOnTheVadAndFacesOfAllSessionsRunBatchedBetweenTheRouterAndPerception() {
        StreamExecutionEnvironment env = graph(GpuStagesConfig.Mode.ON);
        var graph = env.getStreamGraph();
        StreamNode vad = node(graph.getStreamNodes(), "gpu: Silero VAD batched across sessions");
        StreamNode face = node(graph.getStreamNodes(), "gpu: BlazeFace batched across sessions");
        StreamNode perception = node(graph.getStreamNodes(), "perception: audio, VAD, lips, early fusion");
        assertThat(perception.getInEdges()).extracting(e -> e.getSourceId()).containsExactly(face.getId());
        assertThat(face.getInEdges()).extracting(e -> e.getSourceId()).containsExactly(vad.getId());
        assertThat(face.getInEdges()).extracting(e -> e.getPartitioner().toString())
                .as("the face stage reuses the VAD stage's partitioning by session").containsExactly("FORWARD");
        assertThat(vad.getInEdges()).extracting(e -> graph.getStreamNode(e.getSourceId()).getOperatorName())
                .allMatch(n -> n.contains("route"));
    }

    @Test
    void theFaceStageCanBeSwitchedOffAlone() {
        KafkaConnectorConfig kafka = KafkaConnectorConfig.forTests();
        PipelineConfig config = new PipelineConfig();
        config.checkpointInterval = java.time.Duration.ZERO;
        config.gpu = GpuStagesConfig.forced();
        config.gpu.batchedFace = false;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        new SessionPipelineJob(JobSources.kafka("localhost:1", kafka), JobSinks.kafka("localhost:1", kafka, null), config).build(env);
        List<String> names = env.getStreamGraph().getStreamNodes().stream().map(StreamNode::getOperatorName).toList();
        assertThat(names).anyMatch(n -> n.contains("gpu: Silero VAD batched across sessions"));
        assertThat(names).noneMatch(n -> n.contains("BlazeFace"));
    }

    private static StreamNode node(java.util.Collection<StreamNode> nodes, String name) {
        List<StreamNode> found = nodes.stream().filter(n -> n.getOperatorName().contains(name)).toList();
        assertThat(found).as(name).hasSize(1);
        return found.get(0);
    }

    @Test
    void offTheGraphHasNoGpuStageAndNoFeaturesTopic() {
        List<String> names = operatorNames(GpuStagesConfig.Mode.OFF);
        assertThat(names).noneMatch(n -> n.contains("gpu:"));
        assertThat(names).noneMatch(n -> n.contains(FusedFeaturesSink.TOPIC));
    }

    @Test
    void theBatchedLogMelReplacesPerceptionsOwn() {
        PipelineConfig config = new PipelineConfig();
        assertThat(GpuStages.perceptionConfig(config.perception, GpuStagesConfig.forced()).logMelEnabled).isFalse();
        GpuStagesConfig off = new GpuStagesConfig();
        off.mode = GpuStagesConfig.Mode.OFF;
        assertThat(GpuStages.perceptionConfig(config.perception, off).logMelEnabled).isTrue();
        assertThat(config.perception.logMelEnabled).as("the job's own config is not changed").isTrue();
    }
}
