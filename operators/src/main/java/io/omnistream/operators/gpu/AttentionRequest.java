package io.omnistream.operators.gpu;

/**
 * One session's token sequence for modality-gated cross-modal attention: {@code q}, {@code k}, {@code v} are
 * {@code [tokens][heads][64]} with tokens ordered audio, lips, screen, text ({@code segmentLengths}); the router's
 * 16 pair scores ({@code [query modality][key modality]}, -infinity to forbid a pair) choose the {@code topK}
 * active pairs, unless {@code gates} already fixes them (the modality router's decision). A Flink POJO.
 */
public class AttentionRequest {
    public String sessionId;
    public long timeMicros;
    public int heads;
    public int[] segmentLengths;
    public float[] pairScores;
    public int topK;
    /** Fixed gate mask (bit {@code q*4+k}), or -1 to let the top-k gate choose from {@code pairScores}. */
    public int gates = -1;
    /** First tick of the window these tokens come from, and its length in ticks (0 when not windowed). */
    public long windowStartTick;
    public int ticks;
    public float[] q;
    public float[] k;
    public float[] v;

    public AttentionRequest() {}

    public int tokens() {
        int n = 0;
        for (int l : segmentLengths) {
            n += l;
        }
        return n;
    }

    /** Bit m set when modality m has tokens: the modality combination the wrappers batch by. */
    public int modalityMask() {
        int m = 0;
        for (int i = 0; i < segmentLengths.length; i++) {
            if (segmentLengths[i] > 0) {
                m |= 1 << i;
            }
        }
        return m;
    }
}
