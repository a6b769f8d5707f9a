package io.omnistream.operators.asr;

import io.omnistream.schemas.Transcript;
import java.util.HashMap;
import java.util.Map;

/**
 * What the responder needs to know about a customer turn, in order: partial text, the speech drop
 * (answer may be prepared), the end of the turn (commit), speech resuming (discard), a barge-in
 * (stop talking). Carries the {@link Transcript} that is also published, so that transcript and
 * answer always agree.
 */
public class TurnUpdate {
    /** Kinds of turn updates, in the order a turn normally produces them. */
    public enum Kind { PARTIAL, SPEECH_PAUSE, END_OF_TURN, RESUMED, BARGE_IN, REMOTE_ANSWER }

    public String sessionId;
    public long turnId;
    public Kind kind;
    /** Null for RESUMED and BARGE_IN. */
    public Transcript transcript;
    /** Last seconds of the turn's audio (PCM16 16 kHz), only on SPEECH_PAUSE and END_OF_TURN. */
    public byte[] turnAudio;
    /** Latest screen picture (JPEG) of the session, only on END_OF_TURN (input of the remote omni model). */
    public byte[] screenJpeg;
    /** REMOTE_ANSWER only: the remote model's text deltas in order (empty when it failed). */
    public java.util.List<String> remoteDeltas;
    /** REMOTE_ANSWER only: why the remote model gave no answer (null when it answered). */
    public String remoteError;
    /** REMOTE_ANSWER only: backend name (model) that answered. */
    public String remoteBackend;
    /** Wall-clock stages (epoch micros) carried from the speech event (turn.decided ...) plus asr.*. */
    public Map<String, Long> stages = new HashMap<>();

    public TurnUpdate() {}

    public TurnUpdate(String sessionId, long turnId, Kind kind, Transcript transcript) {
        this.sessionId = sessionId;
        this.turnId = turnId;
        this.kind = kind;
        this.transcript = transcript;
    }

    /** The remote model's reply to an END_OF_TURN update ({@code error} null when it answered). */
    public static TurnUpdate remoteAnswer(TurnUpdate endOfTurn, java.util.List<String> deltas, String backend, String error) {
        TurnUpdate u = new TurnUpdate(endOfTurn.sessionId, endOfTurn.turnId, Kind.REMOTE_ANSWER, endOfTurn.transcript);
        u.stages = new HashMap<>(endOfTurn.stages);
        u.remoteDeltas = deltas == null ? new java.util.ArrayList<>() : new java.util.ArrayList<>(deltas);
        u.remoteBackend = backend;
        u.remoteError = error;
        return u;
    }

    public String text() {
        return transcript == null ? "" : transcript.getText();
    }

    @Override
    public String toString() {
        return "TurnUpdate{" + sessionId + "#" + turnId + " " + kind + " '" + text() + "'}";
    }
}
