package io.omnistream.connectors.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The model's answer to one turn: its streamed text deltas in order, or the reason there is none
 * (the caller then falls back to the embedded responder). Never partial: a stream that broke off is
 * reported as an error with no deltas.
 */
public class OmniModelReply {
    public String sessionId;
    public long turnId;
    public List<String> deltas = new ArrayList<>();
    public String model;
    /** Null when the model answered. */
    public String error;
    public int attempts;
    /** Wall-clock micros from sending to the first token (0 when none came). */
    public long firstTokenMicros;
    public long totalMicros;

    public OmniModelReply() {}

    public boolean ok() {
        return error == null;
    }

    public String text() {
        return String.join("", deltas);
    }

    static OmniModelReply failed(OmniModelRequest r, String error, int attempts) {
        OmniModelReply f = new OmniModelReply();
        f.sessionId = r.sessionId;
        f.turnId = r.turnId;
        f.error = error;
        f.attempts = attempts;
        return f;
    }

    @Override
    public String toString() {
        return "OmniModelReply{" + sessionId + "#" + turnId + (ok() ? " '" + text() + "'" : " error=" + error) + " attempts=" + attempts + "}";
    }
}
