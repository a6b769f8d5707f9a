package io.omnistream.operators.route;

/**
 * What the router remembers about one session (Flink keyed state, a POJO so checkpoints carry it): when the
 * audio was last loud, the noise-floor estimate, whether the agent is talking, and the screen thumbnails the
 * change magnitude is measured against.
 */
public class RouteState {
    public boolean everLoud;
    public long lastLoudMicros;
    public float floorDb = Float.NaN;
    public boolean agentSpeaking;
    /** Thumbnail of the last screen picture released to OCR (null: none yet). */
    public byte[] readThumb;
    /** Thumbnail of the newest screen picture. */
    public byte[] lastThumb;
    public long lastScreenSeq = Long.MIN_VALUE;
    /** OCR is allowed until this session time. */
    public long ocrOpenUntil = Long.MIN_VALUE;
    /** Since when a small, unread screen change waits (-1: none). */
    public long dirtySince = -1;
    public long lastOcrOpenMicros = Long.MIN_VALUE;
    public int lastCameraJpegBytes;
    /** Session time of the last tick with face work (idle sampling). */
    public long lastFaceWorkMicros = Long.MIN_VALUE;

    public RouteState() {}
}
