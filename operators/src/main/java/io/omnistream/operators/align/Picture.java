package io.omnistream.operators.align;

import io.omnistream.schemas.VideoFrame;

/** A camera or screen picture held in alignment state, with its capture time on its own (video) clock. */
public class Picture {
    public long seq;
    public long timeMicros;
    public long arrivalMicros;
    public int width;
    public int height;
    public byte[] jpeg;

    public Picture() {}

    public Picture(long seq, long timeMicros, long arrivalMicros, int width, int height, byte[] jpeg) {
        this.seq = seq;
        this.timeMicros = timeMicros;
        this.arrivalMicros = arrivalMicros;
        this.width = width;
        this.height = height;
        this.jpeg = jpeg;
    }

    /** The picture for a frame, its time put on the audio clock. */
    VideoFrame toVideoFrame(long clockOffsetMicros) {
        return VideoFrame.newBuilder()
                .setSeq(seq)
                .setCaptureTimeMicros(timeMicros - clockOffsetMicros)
                .setWidth(width)
                .setHeight(height)
                .setJpeg(java.nio.ByteBuffer.wrap(jpeg))
                .build();
    }
}
