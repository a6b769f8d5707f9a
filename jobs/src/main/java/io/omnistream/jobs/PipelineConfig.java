package io.omnistream.jobs;

import io.omnistream.connectors.kafka.validation.MediaValidationConfig;
import io.omnistream.operators.align.AlignConfig;
import io.omnistream.operators.gpu.GpuStagesConfig;
import io.omnistream.connectors.model.OmniModelConfig;
import io.omnistream.operators.perception.PerceptionConfig;
import io.omnistream.operators.route.RouteConfig;
import io.omnistream.operators.understand.UnderstandingConfig;
import java.io.Serializable;
import java.time.Duration;

/**
 * Settings of the session pipeline job as a whole; each stage's own tunables live in that stage's config object.
 * Defaults run the embedded mode.
 */
public final class PipelineConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public String jobName = "omnistream-session-pipeline";
    public int parallelism = 1;
    /** Network buffer flush timeout; each hop may wait this long, so keep it small for the live path. */
    public Duration bufferTimeout = Duration.ofMillis(1);
    /** Zero disables checkpointing. */
    public Duration checkpointInterval = Duration.ofSeconds(10);
    /** "hashmap" (default, lowest latency) or "rocksdb". */
    public String stateBackend = "hashmap";
    /** Only validation and alignment (benchmarks of those stages, replay of frames); false runs every stage. */
    public boolean alignOnly = false;
    public AlignConfig align = new AlignConfig();
    public PerceptionConfig perception = PerceptionConfig.defaults();
    public UnderstandingConfig understanding = new UnderstandingConfig();
    /** Dynamic modality routing between alignment and perception; {@link RouteConfig#disabled()} runs every path always. */
    public RouteConfig routing = RouteConfig.defaults();
    /** The remote omni model (OpenAI-compatible streaming chat API); null = embedded responder only. */
    public OmniModelConfig remoteModel = null;
    public MediaValidationConfig validation = MediaValidationConfig.defaults();
    /** Log-mel and cross-modal attention batched across sessions on the GPU (on when one is present). */
    public GpuStagesConfig gpu = GpuStagesConfig.defaults();
}
