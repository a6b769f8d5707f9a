package io.omnistream.jobs.cli;

import io.omnistream.jobs.PipelineConfig;
import java.io.File;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Options shared by {@code omni run} and {@code omni submit} that shape the session pipeline job. */
public class PipelineOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with option defaults (keys = long option names without dashes).")
    File config;

    @Option(names = "--parallelism", defaultValue = "1", description = "Flink parallelism of the session pipeline (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(names = "--tick-ms", defaultValue = "40", description = "Alignment tick in ms, 20..80 (default: ${DEFAULT-VALUE}).")
    int tickMillis;

    @Option(names = "--out-of-orderness-ms", defaultValue = "40", description = "Watermark bound in ms (default: ${DEFAULT-VALUE}).")
    int outOfOrdernessMillis;

    @Option(names = "--checkpoint-interval-ms", defaultValue = "10000", description = "Checkpoint interval in ms, 0 = off (default: ${DEFAULT-VALUE}).")
    long checkpointMillis;

    @Option(names = "--state-backend", defaultValue = "hashmap", description = "hashmap or rocksdb (default: ${DEFAULT-VALUE}).")
    String stateBackend;

    @Option(names = "--remote-model-url", description = "Base URL of an OpenAI-compatible omni model (e.g. vLLM serving Qwen3-Omni: http://host:8000/v1); default: embedded responder only.")
    String remoteModelUrl;

    @Option(names = "--remote-model", defaultValue = "Qwen/Qwen3-Omni-30B-A3B-Instruct", description = "Model name for the remote backend (default: ${DEFAULT-VALUE}).")
    String remoteModelName;

    @Option(names = "--routing", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Dynamic modality routing: run VAD, face/lips, ASR, OCR and text encoding only where the session needs them; "
                    + "--no-routing runs every path on every tick (default: ${DEFAULT-VALUE}).")
    boolean routing;

    @Option(names = "--gpu-stages", defaultValue = "AUTO",
            description = "Batched GPU stages (log-mel, cross-modal attention → omni.features): AUTO (when a GPU is"
                    + " present), ON (GPU, or its Java twin without one), OFF (default: ${DEFAULT-VALUE}).")
    io.omnistream.operators.gpu.GpuStagesConfig.Mode gpuStages;

    PipelineConfig toConfig() {
        PipelineConfig config = new PipelineConfig();
        config.parallelism = parallelism;
        config.align.tick = Duration.ofMillis(tickMillis);
        config.align.outOfOrderness = Duration.ofMillis(outOfOrdernessMillis);
        config.checkpointInterval = Duration.ofMillis(checkpointMillis);
        config.stateBackend = stateBackend;
        config.align.validate();
        config.routing.enabled = routing;
        config.gpu.mode = gpuStages;
        if (remoteModelUrl != null) {
            config.remoteModel = new io.omnistream.connectors.model.OmniModelConfig();
            config.remoteModel.baseUrl = remoteModelUrl;
            config.remoteModel.model = remoteModelName;
        }
        return config;
    }
}
