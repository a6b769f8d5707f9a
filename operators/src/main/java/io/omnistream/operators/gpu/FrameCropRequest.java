package io.omnistream.operators.gpu;

/**
 * One session's decoded I420 frame and what to cut from it: the whole frame as BlazeFace input
 * ({@link Purpose#FACE}) or a mouth box ({@link Purpose#MOUTH}, {@code box} = x, y, w, h in pixels). A Flink POJO.
 */
public class FrameCropRequest {
    public enum Purpose { FACE, MOUTH }

    public String sessionId;
    public long timeMicros;
    public Purpose purpose;
    public int width;
    public int height;
    public byte[] i420;
    public float[] box;

    public FrameCropRequest() {}
}
