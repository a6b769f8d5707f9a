package io.omnistream.operators.ocr;

import io.omnistream.schemas.VideoFrame;

/** A screen picture that has been stable long enough to be read, on its way to the OCR. */
public class ScreenToRead {
    public String sessionId;
    public VideoFrame picture;
    /** The routing decision lets the OCR read only what changed since the session's last read. */
    public boolean changedRegionOnly;

    public ScreenToRead() {}

    public ScreenToRead(String sessionId, VideoFrame picture) {
        this(sessionId, picture, false);
    }

    public ScreenToRead(String sessionId, VideoFrame picture, boolean changedRegionOnly) {
        this.sessionId = sessionId;
        this.picture = picture;
        this.changedRegionOnly = changedRegionOnly;
    }
}
