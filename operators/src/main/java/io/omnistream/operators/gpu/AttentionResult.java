package io.omnistream.operators.gpu;

/** Attention output {@code [tokens][heads][64]} of one session and the gate mask the router chose. A Flink POJO. */
public class AttentionResult {
    public String sessionId;
    public long timeMicros;
    public int gate;
    public float[] out;
    public boolean gpu;
    public int heads;
    /** Tokens per modality segment (audio, lips, screen, text), as in the request. */
    public int[] segmentLengths;
    public long windowStartTick;
    public int ticks;

    public AttentionResult() {}
}
