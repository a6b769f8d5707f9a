package io.omnistream.operators.audio;

/**
 * The causal-normalised 128-bin log-mel frames (10 ms hop) that one aligned tick of a session
 * completed: the audio front-end's output for the encoder stage and analytics, kept out of the
 * fused-frame stream so turn-taking does not carry 2 KB of features per tick.
 */
public class TickLogMel {
    public String sessionId;
    public long tickIndex;
    public long tickStartMicros;
    public long tickEndMicros;
    public int frames;
    /** frames × 128 values, frame after frame. */
    public float[] logMel;

    public TickLogMel() {}
}
