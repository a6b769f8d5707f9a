package io.omnistream.operators.perception;

import io.omnistream.operators.face.LipState;
import io.omnistream.operators.fusion.FusionState;
import io.omnistream.operators.vad.VadState;
import io.omnistream.gpu.logmel.StreamingLogMel;

/**
 * Everything the perception operator remembers about one session, in one Flink value state so a
 * tick costs one state read and one write: VAD recurrent state, face/lip tracking, fusion windows,
 * log-mel tail, and which bad-input kinds were already logged for the session.
 */
public class PerceptionState {
    public VadState vad = new VadState();
    public LipState lips = new LipState();
    public FusionState fusion = new FusionState();
    /** Log-mel streaming tail (samples not yet covered by a full window) and causal running maximum. */
    public StreamingLogMel.State logMel = new StreamingLogMel.State();
    public float lastVad;
    public float lastEnergyDb = -100f;
    /**
     * Session time of the current run of ticks below the silence level (saturating; the session start counts as
     * silence): decides the VAD restart of {@link PerceptionConfig#vadRestartAfterSilenceMicros}, routed or not.
     */
    public long quietMicros = Long.MAX_VALUE;
    /** Session time the router has kept the VAD off in a row (its buffers are released after a while). */
    public long vadIdleMicros;
    /** Session time the router has kept face work off in a row (face/lip buffers are released after a while). */
    public long faceIdleMicros;
    /** Camera picture whose face work the router skipped last (counted once per picture). */
    public long skippedPictureSeq = Long.MIN_VALUE;
    /** Bit set of {@link BadInput} ordinals already logged for this session. */
    public int loggedBadInput;

    public PerceptionState() {}
}
