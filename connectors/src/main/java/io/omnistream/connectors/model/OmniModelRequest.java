package io.omnistream.connectors.model;

import java.util.Objects;

/** One customer turn to answer: what was said, how it sounded, what the screen shows. */
public class OmniModelRequest {
    public String sessionId;
    public long turnId;
    public String transcript;
    /** PCM16 LE mono 16 kHz, or null. */
    public byte[] pcm16k;
    /** JPEG of the shared screen, or null. */
    public byte[] screenJpeg;

    public OmniModelRequest() {}

    public OmniModelRequest(String sessionId, long turnId, String transcript, byte[] pcm16k, byte[] screenJpeg) {
        this.sessionId = sessionId;
        this.turnId = turnId;
        this.transcript = transcript;
        this.pcm16k = pcm16k;
        this.screenJpeg = screenJpeg;
    }

    @Override
    public String toString() {
        return "OmniModelRequest{" + sessionId + "#" + turnId + " '" + transcript + "' audio=" + (pcm16k == null ? 0 : pcm16k.length)
                + "B screen=" + (screenJpeg == null ? 0 : screenJpeg.length) + "B}";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OmniModelRequest && Objects.equals(sessionId, ((OmniModelRequest) o).sessionId)
                && turnId == ((OmniModelRequest) o).turnId;
    }

    @Override
    public int hashCode() {
        return Objects.hash(sessionId, turnId);
    }
}
