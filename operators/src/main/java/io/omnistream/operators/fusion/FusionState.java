package io.omnistream.operators.fusion;

/**
 * Per-session sliding windows of the early fusion (Flink keyed state): audio envelope, lip openness,
 * lip motion and face usability per tick, in rings of the correlation window's length.
 */
public class FusionState {
    public float[] audioEnv;
    public float[] lipOpen;
    /** Lip motion of a new camera picture in that tick, or -1 when no new picture arrived. */
    public float[] lipMotion;
    public byte[] usable;
    public int pos;
    public int count;
    /** Slowly rising running minimum of lip openness: the closed-lips baseline. */
    public float openBaseline = Float.NaN;
    public float lastOpenness;
    public long lastPictureSeq = Long.MIN_VALUE;

    public FusionState() {}
}
