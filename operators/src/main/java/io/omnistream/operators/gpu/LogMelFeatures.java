package io.omnistream.operators.gpu;

/**
 * Normalised log-mel features of one audio chunk of one session, as produced by {@link LogMelBatchOperator}:
 * {@code frames} frames of 128 values ({@code io.omnistream.gpu.logmel.LogMel} definition, Whisper normalisation
 * applied causally) and their energies. A Flink POJO.
 */
public class LogMelFeatures {
    public String sessionId;
    public long seq;
    /** Media-clock time of the chunk's first sample. */
    public long captureTimeMicros;
    public int frames;
    public float[] logMel;
    public float[] energy;
    /** Whether the GPU computed it (else the Java twin). */
    public boolean gpu;

    public LogMelFeatures() {}
}
