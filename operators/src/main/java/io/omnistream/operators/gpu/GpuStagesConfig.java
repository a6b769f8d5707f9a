package io.omnistream.operators.gpu;

import io.omnistream.gpu.runtime.GpuRuntime;
import java.io.Serializable;

/**
 * Settings of the batched GPU stages of the session pipeline ({@link GpuStages}): whether they run (and which of the per-session models are batched), how they batch,
 * and the shape of the cross-modal attention windows. Defaults: on when a GPU is present, 2 heads, windows of 8
 * ticks (320 ms at the default 40 ms tick).
 */
public final class GpuStagesConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Whether the job batches log-mel, the VAD, BlazeFace and cross-modal attention across sessions through the GPU wrappers. */
    public enum Mode {
        /** On when {@link GpuRuntime#available()} where the job graph is built. */
        AUTO,
        /** Always on: the GPU where present, else the Java twins (how CI tests the same graph). */
        ON,
        OFF
    }

    public static final int DEFAULT_HEADS = 2;
    public static final int DEFAULT_WINDOW_TICKS = 8;
    public static final java.time.Duration DEFAULT_VAD_MAX_WAIT = java.time.Duration.ofMillis(2);
    public static final int DEFAULT_VAD_MAX_BATCH = 1024;
    public static final java.time.Duration DEFAULT_FACE_MAX_WAIT = java.time.Duration.ofMillis(5);
    /** Pictures per face batch: 256 letterboxed inputs are 48 MiB of floats on the host. */
    public static final int DEFAULT_FACE_MAX_BATCH = 256;
    /** Screen token: the changed screen picture as a grey thumbnail of this many pixels (16 x 8 = 128 values). */
    public static final int SCREEN_THUMB_WIDTH = 16;
    public static final int SCREEN_THUMB_HEIGHT = 8;

    public Mode mode = Mode.AUTO;
    public GpuBatchConfig batch = GpuBatchConfig.defaults();
    /** Whether the Silero VAD of all sessions runs batched ({@link BatchedVadOperator}) instead of inside perception. */
    public boolean batchedVad = true;
    /**
     * Batching of the VAD stage, which sits on the path to turn-taking: a short wait (the frames of one 40 ms tick of
     * all sessions arrive within a few ms) and large batches.
     */
    public GpuBatchConfig vadBatch = GpuBatchConfig.defaults().withMaxWait(DEFAULT_VAD_MAX_WAIT).withMaxBatchSize(DEFAULT_VAD_MAX_BATCH);
    /**
     * Whether BlazeFace runs batched across sessions on the camera pictures ({@link BatchedFaceOperator}) in front of
     * perception, instead of per session inside it; like {@link #batchedVad}, on whenever the stages are.
     */
    public boolean batchedFace = true;
    /**
     * Batching of the face stage: at 15 fps a session sends a picture every 67 ms and only every few are detected, so
     * a 5 ms wait gathers the pictures of many sessions while staying well inside a tick.
     */
    public GpuBatchConfig faceBatch = GpuBatchConfig.defaults().withMaxWait(DEFAULT_FACE_MAX_WAIT).withMaxBatchSize(DEFAULT_FACE_MAX_BATCH);
    /** Where the face stage decodes camera pictures: on the GPU (nvJPEG) when the encoder can, else with OpenCV. */
    public FaceJpegDecoding faceJpegDecoding = FaceJpegDecoding.AUTO;
    /** Attention heads of 64 dimensions each; the fused feature of a modality has {@code heads * 64} values. */
    public int heads = DEFAULT_HEADS;
    /** Ticks per attention window: one fused-feature record per session and window. */
    public int windowTicks = DEFAULT_WINDOW_TICKS;
    /** Seed of the fixed modality projections (stand-ins for learned encoders, see {@link ModalityProjection}). */
    public long projectionSeed = 0x0A11CE5EEDL;

    public static GpuStagesConfig defaults() {
        return new GpuStagesConfig();
    }

    public static GpuStagesConfig forced() {
        GpuStagesConfig c = new GpuStagesConfig();
        c.mode = Mode.ON;
        return c;
    }

    /** Whether the stages run, decided where the job graph is built. */
    public boolean enabled() {
        return mode == Mode.ON || (mode == Mode.AUTO && GpuRuntime.available());
    }

    void validate() {
        if (heads < 1 || heads > 16) {
            throw new IllegalArgumentException("heads must be in 1..16");
        }
        if (windowTicks < 1) {
            throw new IllegalArgumentException("windowTicks must be >= 1");
        }
        batch.validate();
        vadBatch.validate();
        faceBatch.validate();
    }
}
