package io.omnistream.loadtests.eval;

import io.omnistream.schemas.SpeechEvent;

/** A turn-taking decision (or an A/V offset sample) of one evaluated variant, as collected from the job. */
public class EvalEvent {
    public static final String AUDIO_VISUAL = "audio-visual";
    public static final String AUDIO_ONLY = "audio-only";
    public static final String OFFSET = "offset";

    public String mode;
    public String sessionId;
    public String type;
    public long sessionTimeMicros;
    public long speechTimeMicros;
    public float confidence;
    public boolean audioVisual;
    public long value;

    public EvalEvent() {}

    public static EvalEvent of(String mode, SpeechEvent e) {
        EvalEvent x = new EvalEvent();
        x.mode = mode;
        x.sessionId = e.getSessionId();
        x.type = e.getType().name();
        x.sessionTimeMicros = e.getSessionTimeMicros();
        x.speechTimeMicros = e.getSpeechTimeMicros();
        x.confidence = e.getConfidence();
        x.audioVisual = e.getAudioVisual();
        if (e.getTrace() != null) {
            Long a = e.getTrace().getStages().get("align.out");
            Long d = e.getTrace().getStages().get("turn.decided");
            x.value = a != null && d != null ? d - a : -1;
        }
        return x;
    }

    @Override
    public String toString() {
        return mode + " " + sessionId + " " + type + " @" + sessionTimeMicros / 1000 + "ms";
    }
}
