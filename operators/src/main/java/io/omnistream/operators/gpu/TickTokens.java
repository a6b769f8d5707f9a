package io.omnistream.operators.gpu;

/**
 * One tick's contribution of one modality path to a session's cross-modal attention window: the log-mel frames
 * (audio), the lip features (lips) or the aligned frame itself (the router's gates and, when the screen changed, a
 * screen token). The three paths reach {@link CrossModalWindowAssembler} as one stream, each in tick order.
 * A Flink POJO.
 */
public class TickTokens {
    /** Which path this part comes from. */
    public static final int AUDIO = 0;
    public static final int LIPS = 1;
    public static final int FRAME = 2;
    public static final int PATHS = 3;

    public String sessionId;
    public long tickIndex;
    public long tickStartMicros;
    public int path;
    /** Tokens this part adds (0 is fine: the part still tells that the path has passed this tick). */
    public int tokens;
    /** {@code tokens} rows of raw features, row after row. */
    public float[] values;
    /** FRAME only: the router's attention pairs for this tick, -1 when the frame carries no decision. */
    public int attentionPairs = -1;

    public TickTokens() {}

    public TickTokens(String sessionId, long tickIndex, long tickStartMicros, int path, int tokens, float[] values) {
        this.sessionId = sessionId;
        this.tickIndex = tickIndex;
        this.tickStartMicros = tickStartMicros;
        this.path = path;
        this.tokens = tokens;
        this.values = values;
    }
}
