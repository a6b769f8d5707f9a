package io.omnistream.operators.gpu;

/** Per-token int8 features with one scale per row ({@code value = codes * scale}). A Flink POJO. */
public class QuantizedFeatures {
    public String sessionId;
    public long timeMicros;
    public int rows;
    public int dim;
    public byte[] codes;
    public float[] scales;
    public boolean gpu;

    public QuantizedFeatures() {}
}
