package io.omnistream.operators.perception;

import java.io.Serializable;
import java.nio.file.Path;

/**
 * Every threshold of the perception and turn-taking operators in one place, with the defaults that
 * run the embedded mode.
 *
 * <p>It exists so that tuning happens here (and in the evaluation harness that compares settings),
 * never by editing magic numbers inside operators. Instances are immutable-by-convention value
 * objects shipped to the operators with the job graph; use {@link #defaults()} and the
 * {@code with...} copies.
 */
public final class PerceptionConfig implements Serializable, Cloneable {
    private static final long serialVersionUID = 1L;

    // ---- models -------------------------------------------------------------------------------
    /** Folder holding {@code silero_vad_v5.onnx} and {@code face_detection_front_128x128.onnx}; null = {@link ModelFiles#modelsDir()}. */
    public String modelsDir = null;
    /** Intra-op threads of each ONNX Runtime session (one session per operator instance, shared by all keys). */
    public int onnxThreads = 1;
    /** OpenCV worker threads (0 = OpenCV's sequential mode); Flink already runs one operator instance per slot. */
    public int opencvThreads = 0;

    // ---- audio --------------------------------------------------------------------------------
    /** Expected sample rate of {@code PerceptionFrame.audio}; a tick whose length does not match is counted and skipped. */
    public int sampleRate = 16_000;
    /** Ticks longer than this are rejected as oversized (default 1 s). */
    public int maxTickSamples = 16_000;
    /** Compute the 128-bin log-mel front-end per tick (side output {@code PerceptionFunction.LOG_MEL}); switch off when the GPU {@code LogMelBatchOperator} computes it. */
    public boolean logMelEnabled = true;

    // ---- VAD ----------------------------------------------------------------------------------
    /** Silero v5 chunk length at 16 kHz. */
    public int vadChunkSamples = 512;
    /** Context samples prepended to each chunk, as in the reference implementation. */
    public int vadContextSamples = 64;
    /**
     * The VAD restarts from a fresh state (primed with silent chunks) at the first tick at or above {@link #silenceDb}
     * after at least this much session time below it (and at the session's first such tick); 0 = never restart.
     * Silero's recurrent state keeps integrating near-silence for tens of seconds (after 15–30 s of -68 dBFS room
     * noise it reads the onset of speech 0.3–0.8 lower than a fresh state and can dip below the stop threshold
     * inside the first words), so without a restart the decision at a speech onset depends on how long the customer
     * was silent. With it, the VAD's output depends only on the audio since the last silence, which is also what a
     * router that skips the VAD in silence can reproduce exactly (its VAD hangover must be at least this minus one
     * tick, its gate at or below {@code silenceDb}). The default is {@link #VAD_RESTART_AFTER_SILENCE_MICROS}, the
     * value the routing tuner validated; the batched GPU VAD stage ({@code io.omnistream.operators.gpu.BatchedVadOperator})
     * applies the same rule ({@code PerceptionFunction.restartsVad}/{@code quietAfter}).
     */
    public long vadRestartAfterSilenceMicros = VAD_RESTART_AFTER_SILENCE_MICROS;
    /** The VAD restart delay validated by the routing tuner (RESULTS.md, "Modality routing (issue 8)"). */
    public static final long VAD_RESTART_AFTER_SILENCE_MICROS = 200_000;

    // ---- face and lips ------------------------------------------------------------------------
    /** Run BlazeFace on every Nth new camera picture; in between the mouth box is tracked by template matching. */
    public int detectEveryNthFrame = 5;
    /** Minimum BlazeFace score of a face. */
    public float faceMinScore = 0.6f;
    /** IoU above which detections are merged by (weighted) non-maximum suppression. */
    public float faceNmsIou = 0.3f;
    /** Template-matching score (TM_CCOEFF_NORMED) below which tracking is considered lost and detection re-runs. */
    public float trackMinScore = 0.5f;
    /** Mouth ROI size relative to the face box width. */
    public float mouthWidthFraction = 0.5f;
    /** Mouth ROI height relative to the face box height. */
    public float mouthHeightFraction = 0.3f;
    /** A face whose box is smaller than this fraction of the picture width is ignored (too far to read lips). */
    public float minFaceWidthFraction = 0.06f;
    /** Camera pictures older than this (relative to tick end) make the face unusable. */
    public long maxCameraAgeMicros = 300_000;
    /** JPEGs larger than this are rejected as oversized. */
    public int maxJpegBytes = 4 * 1024 * 1024;

    // ---- fusion -------------------------------------------------------------------------------
    /** Sliding window of the lip/audio correlation. */
    public long correlationWindowMicros = 2_000_000;
    /** Lags searched, ±. */
    public long maxLagMicros = 200_000;
    /** Audio energy (dBFS) below which a tick counts as silent for fusion. */
    public float silenceDb = -50f;
    /** Energy this far (dB) below the session's loudest tick of the correlation window counts as an audio drop. */
    public float dropDb = 20f;
    /** Lip motion (mean abs difference, 0..255) above which lips count as moving. */
    public float lipMotionThreshold = 1.5f;
    /** Mouth-patch openness above the session's closed-lips baseline below which the lips count as closed. */
    public float lipsClosedOpenness = 0.04f;
    /** How fast the closed-lips baseline (running minimum of openness) may rise per camera picture, so it follows slow pose/light changes. */
    public float lipsBaselineRise = 0.0005f;
    /** Correlation above which speech is attributed to the on-camera customer. */
    public float correlationSpeakerThreshold = 0.3f;
    /** Minimum lip-motion history (fraction of the window with a usable face) before the correlation is trusted. */
    public float minCorrelationCoverage = 0.5f;

    // ---- turn-taking --------------------------------------------------------------------------
    /** P(speaking) to start speech. */
    public float startThreshold = 0.6f;
    /** P(speaking) below which a tick counts as silent. */
    public float stopThreshold = 0.35f;
    /** Consecutive speaking time needed for SPEECH_START. */
    public long minSpeechMicros = 120_000;
    /** Audio-visual fast path: silence time needed for END_OF_TURN when the lips are closed and still. */
    public long avHangoverMicros = 120_000;
    /** Silence time needed for END_OF_TURN with a face whose lips still move or are open. */
    public long avOpenLipsHangoverMicros = 700_000;
    /** Silence needed before the provisional SPEECH_END (speculative ASR/answer start). */
    public long speechEndMinSilenceMicros = 80_000;
    /** Audio-only hangover (no usable face), as voice-agent frameworks do. */
    public long audioOnlyHangoverMicros = 500_000;
    /** Speech needed while the agent talks before BARGE_IN. */
    public long bargeInMinSpeechMicros = 200_000;
    /**
     * After END_OF_TURN the answer is due: speech within this much session time, before the agent is heard, is a
     * BARGE_IN of the coming answer (the customer only paused), not a new turn the agent would talk over.
     */
    public long answerDueMicros = 2_000_000;
    /** Use lip evidence at all (false = audio-only baseline, used by the evaluation). */
    public boolean audioVisual = true;
    /** Background speech needed before a BACKGROUND_SPEECH event. */
    public long backgroundMinMicros = 300_000;

    public static PerceptionConfig defaults() {
        return new PerceptionConfig();
    }

    public PerceptionConfig copy() {
        try {
            return (PerceptionConfig) clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected Object clone() throws CloneNotSupportedException {
        return super.clone();
    }

    /** Copy with lip evidence switched off: the audio-only baseline. */
    public PerceptionConfig audioOnly() {
        PerceptionConfig c = copy();
        c.audioVisual = false;
        return c;
    }

    public PerceptionConfig withModelsDir(Path dir) {
        PerceptionConfig c = copy();
        c.modelsDir = dir.toString();
        return c;
    }

    public Path resolveModelsDir() {
        return modelsDir != null ? Path.of(modelsDir) : ModelFiles.modelsDir();
    }
}
