package io.omnistream.operators.ocr;

import io.omnistream.schemas.VideoFrame;

/** A screen picture that has been stable long enough to be read, on its way to the OCR. */
public class ScreenToRead {
    public String sessionId;
    public VideoFrame picture;

    public ScreenToRead() {}

    public ScreenToRead(String sessionId, VideoFrame picture) {
        this.sessionId = sessionId;
        this.picture = picture;
    }
}
