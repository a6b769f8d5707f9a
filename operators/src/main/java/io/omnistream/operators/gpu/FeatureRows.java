package io.omnistream.operators.gpu;

/** A session's feature tensor of {@code rows} tokens × {@code dim} values (e.g. 256-d visual features). A Flink POJO. */
public class FeatureRows {
    public String sessionId;
    public long timeMicros;
    public int rows;
    public int dim;
    public float[] values;

    public FeatureRows() {}

    public FeatureRows(String sessionId, long timeMicros, int rows, int dim, float[] values) {
        this.sessionId = sessionId;
        this.timeMicros = timeMicros;
        this.rows = rows;
        this.dim = dim;
        this.values = values;
    }
}
