package io.omnistream.operators.gpu;

/**
 * One session's token sequence for modality-gated cross-modal attention: {@code q}, {@code k}, {@code v} are
 * {@code [tokens][heads][64]} with tokens ordered audio, lips, screen, text ({@code segmentLengths}); the router's
 * 16 pair scores ({@code [query modality][key modality]}, -infinity to forbid a pair) choose the {@code topK}
 * active pairs. A Flink POJO.
 */
public class AttentionRequest {
    public String sessionId;
    public long timeMicros;
    public int heads;
    public int[] segmentLengths;
    public float[] pairScores;
    public int topK;
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
