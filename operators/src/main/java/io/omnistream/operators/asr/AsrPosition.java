package io.omnistream.operators.asr;

/**
 * Where a session's recognition stands, in keyed state, so that a restored {@link StreamingAsrFunction}
 * continues the turn in progress instead of losing it: the open turn and its transcript sequence
 * number, the text of its finished speech segments, how far the audio has been fed, and how much of
 * the buffered turn audio ({@link AudioSpan}s) belongs to the segment still being decoded. A Flink
 * POJO; a fresh copy is written on every change (never mutated after it is handed to the state).
 */
public class AsrPosition {
    public long turnId = -1;
    public boolean turnOpen;
    public boolean speaking;
    public boolean decoderMissing;
    /** Text of the turn's finished speech segments. */
    public String committedText = "";
    public long fedUntil = Long.MIN_VALUE;
    public long turnStart;
    public long lastPartialAt;
    public String lastPartial = "";
    /** Next transcript sequence number of the turn. */
    public int seq;
    public long lastTickEnd = Long.MIN_VALUE;
    /** Samples fed to the decoder since the current speech segment started (counted beyond the buffer's bound). */
    public long segmentSamples;
    /** The last finished turn and its final text: a turn that continues it (the customer only paused) extends it. */
    public long lastFinalTurnId = -1;
    public String lastFinalText = "";
    /** Session time at which the speech segment in progress was decided: audio up to it is fed whatever the router said. */
    public long segmentDecision = Long.MIN_VALUE;
    /** The session's cepstral mean after its last finished segment (null: the model's initial one). */
    public float[] cepstralMean;

    public AsrPosition() {}
}
