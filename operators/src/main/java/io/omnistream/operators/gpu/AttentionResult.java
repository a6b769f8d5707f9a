package io.omnistream.operators.gpu;

/** Attention output {@code [tokens][heads][64]} of one session and the gate mask the router chose. A Flink POJO. */
public class AttentionResult {
    public String sessionId;
    public long timeMicros;
    public int gate;
    public float[] out;
    public boolean gpu;

    public AttentionResult() {}
}
