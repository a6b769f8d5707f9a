package io.omnistream.operators.gpu;

/**
 * A model input tensor cut from one session's frame: FACE is BlazeFace's NHWC 1×128×128×3 in [-1, 1]; MOUTH is
 * an {@code size×size} luma crop in [0, 1]. A Flink POJO.
 */
public class ModelInput {
    public String sessionId;
    public long timeMicros;
    public FrameCropRequest.Purpose purpose;
    public int width;
    public int height;
    public int channels;
    public float[] tensor;
    public boolean gpu;

    public ModelInput() {}
}
