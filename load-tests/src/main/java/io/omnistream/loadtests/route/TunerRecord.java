package io.omnistream.loadtests.route;

/** What the tuner collects from a run: a speech event, a final transcript, screen identifiers, a chosen answer or (diagnostics) a fused frame. */
public class TunerRecord {
    public static final String EVENT = "event";
    public static final String FINAL = "final";
    public static final String SCREEN = "screen";
    public static final String ANSWER = "answer";
    /** A fused perception frame (only with {@code --dump-fused}): type = tick index, text = the values turn-taking reads. */
    public static final String FUSED = "fused";

    public String kind;
    public String sessionId;
    /** Event type (events), turn id (transcripts, answers), frame seq (screens). */
    public String type;
    public long timeMicros;
    public long speechTimeMicros;
    public String text;

    public TunerRecord() {}

    public TunerRecord(String kind, String sessionId, String type, long timeMicros, long speechTimeMicros, String text) {
        this.kind = kind;
        this.sessionId = sessionId;
        this.type = type;
        this.timeMicros = timeMicros;
        this.speechTimeMicros = speechTimeMicros;
        this.text = text;
    }
}
