package io.omnistream.operators.turn;

/** Per-session turn-taking state (Flink keyed state); a POJO so checkpoints carry it. */
public class TurnState {
    public long turnId;
    /** A turn was started (SPEECH_START/BARGE_IN) and not yet ended (END_OF_TURN). */
    public boolean turnOpen;
    public long speechRunMicros;
    public long speechRunStartMicros;
    public double speechRunProbabilitySum;
    public int speechRunTicks;
    public boolean speechRunAudioVisual;
    public long silenceRunMicros;
    public long silenceStartMicros;
    public boolean speechEndEmitted;
    public long backgroundRunMicros;
    public long backgroundStartMicros;
    public boolean backgroundReported;
    public boolean agentSpeaking;
    public String agentResponseId;
    /**
     * Session time until which the floor is the agent's although it is not yet heard speaking: set at END_OF_TURN
     * (the answer is on its way), cleared when the agent's audio has played out. Speech before then interrupts the
     * answer (BARGE_IN) instead of starting a turn the agent would talk over.
     */
    public long answerDueUntilMicros;

    public TurnState() {}
}
