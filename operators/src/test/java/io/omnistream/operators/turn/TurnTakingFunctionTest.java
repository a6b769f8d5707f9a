package io.omnistream.operators.turn;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.fusion.FusedFrame;
import io.omnistream.operators.perception.PerceptionConfig;
import io.omnistream.schemas.SpeechEvent;
import io.omnistream.schemas.SpeechEventType;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.junit.jupiter.api.Test;

class TurnTakingFunctionTest {
    private static final String S = "s1";
    private static final long TICK = 40_000;
    private long tick;

    private static KeyedTwoInputStreamOperatorTestHarness<String, FusedFrame, AgentActivity, SpeechEvent> harness(PerceptionConfig c)
            throws Exception {
        var h = unopened(c);
        h.open();
        return h;
    }

    private static KeyedTwoInputStreamOperatorTestHarness<String, FusedFrame, AgentActivity, SpeechEvent> unopened(PerceptionConfig c)
            throws Exception {
        return new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new TurnTakingFunction(c)),
                (FusedFrame f) -> f.sessionId, (AgentActivity a) -> a.sessionId, Types.STRING);
    }

    /** Feeds {@code ms} of ticks with the given speaking probability and lip state. */
    private void feed(KeyedTwoInputStreamOperatorTestHarness<String, FusedFrame, AgentActivity, SpeechEvent> h, int ms, float p, boolean face,
            boolean lipsClosed, boolean background) throws Exception {
        for (int i = 0; i < ms / 40; i++, tick++) {
            FusedFrame f = new FusedFrame();
            f.sessionId = S;
            f.tickIndex = tick;
            f.tickStartMicros = tick * TICK;
            f.tickEndMicros = (tick + 1) * TICK;
            f.audioProbability = background || p > 0.5f ? 0.95f : 0.02f;
            f.speakingProbability = p;
            f.faceUsable = face;
            f.lipsClosed = lipsClosed;
            f.backgroundSpeech = background;
            f.alignEmitMicros = 1;
            h.processElement1(f, 0);
        }
    }

    private static List<SpeechEvent> events(KeyedTwoInputStreamOperatorTestHarness<String, FusedFrame, AgentActivity, SpeechEvent> h) {
        return h.extractOutputValues();
    }

    private static List<SpeechEventType> types(KeyedTwoInputStreamOperatorTestHarness<String, FusedFrame, AgentActivity, SpeechEvent> h) {
        return events(h).stream().map(SpeechEvent::getType).collect(Collectors.toList());
    }

    private static SpeechEvent first(KeyedTwoInputStreamOperatorTestHarness<String, FusedFrame, AgentActivity, SpeechEvent> h, SpeechEventType t) {
        return events(h).stream().filter(e -> e.getType() == t).findFirst().orElseThrow();
    }

    @Test
    void closedLipsEndTheTurnOnTheFastPath() throws Exception {
        PerceptionConfig c = PerceptionConfig.defaults();
        var h = harness(c);
        feed(h, 400, 0.1f, true, true, false);
        feed(h, 1000, 0.9f, true, false, false);
        long speechEnd = tick * TICK;
        feed(h, 800, 0.05f, true, true, false);
        assertThat(types(h)).containsExactly(SpeechEventType.SPEECH_START, SpeechEventType.SPEECH_END, SpeechEventType.END_OF_TURN);
        SpeechEvent eot = first(h, SpeechEventType.END_OF_TURN);
        assertThat(eot.getSessionTimeMicros() - speechEnd).isEqualTo(c.avHangoverMicros);
        assertThat(eot.getAudioVisual()).isTrue();
        assertThat(eot.getSpeechTimeMicros()).isEqualTo(speechEnd);
        assertThat(eot.getTrace().getStages()).containsKeys("align.out", "turn.decided");
        assertThat(first(h, SpeechEventType.SPEECH_START).getSpeechTimeMicros()).isEqualTo(400_000);
        h.close();
    }

    @Test
    void anAudioDropCountsAsSilenceWhileTheVadStillSaysSpeech() throws Exception {
        PerceptionConfig c = PerceptionConfig.defaults();
        var h = harness(c);
        feed(h, 1000, 0.9f, true, false, false);
        long speechEnd = tick * TICK;
        for (int i = 0; i < 3; i++, tick++) { // VAD lags: P stays high, but the energy fell 20 dB and the lips closed
            FusedFrame f = new FusedFrame();
            f.sessionId = S;
            f.tickIndex = tick;
            f.tickStartMicros = tick * TICK;
            f.tickEndMicros = (tick + 1) * TICK;
            f.audioProbability = 0.9f;
            f.speakingProbability = 0.9f;
            f.audioDropped = true;
            f.faceUsable = true;
            f.lipsClosed = true;
            h.processElement1(f, 0);
        }
        SpeechEvent eot = first(h, SpeechEventType.END_OF_TURN);
        assertThat(eot.getSessionTimeMicros() - speechEnd).isEqualTo(c.avHangoverMicros);
        h.close();
    }

    @Test
    void withoutAFaceTheLongerAudioOnlyHangoverApplies() throws Exception {
        PerceptionConfig c = PerceptionConfig.defaults();
        var h = harness(c);
        feed(h, 1000, 0.9f, false, false, false);
        long speechEnd = tick * TICK;
        feed(h, 1000, 0.05f, false, false, false);
        SpeechEvent eot = first(h, SpeechEventType.END_OF_TURN);
        assertThat(eot.getSessionTimeMicros() - speechEnd).isEqualTo((c.audioOnlyHangoverMicros + TICK - 1) / TICK * TICK);
        assertThat(eot.getAudioVisual()).isFalse();
        h.close();
    }

    @Test
    void aPauseWithOpenLipsDoesNotEndTheTurn() throws Exception {
        var h = harness(PerceptionConfig.defaults());
        feed(h, 800, 0.9f, true, false, false);
        feed(h, 400, 0.05f, true, false, false);
        feed(h, 800, 0.9f, true, false, false);
        assertThat(types(h)).containsExactly(SpeechEventType.SPEECH_START, SpeechEventType.SPEECH_END, SpeechEventType.SPEECH_START);
        assertThat(events(h).stream().map(SpeechEvent::getTurnId).distinct()).containsExactly(1L);
        h.close();
    }

    @Test
    void speechWhileTheAgentTalksIsABargeIn() throws Exception {
        var h = harness(PerceptionConfig.defaults());
        h.processElement2(new AgentActivity(S, "r1", true, 1), 0);
        feed(h, 120, 0.9f, true, false, false);
        assertThat(types(h)).isEmpty(); // barge-in needs more evidence than a turn start
        feed(h, 120, 0.9f, true, false, false);
        assertThat(types(h)).containsExactly(SpeechEventType.BARGE_IN);
        h.close();
    }

    @Test
    void speechRightAfterTheEndOfTurnInterruptsTheComingAnswer() throws Exception {
        var h = harness(PerceptionConfig.defaults());
        feed(h, 800, 0.9f, false, false, false);
        feed(h, 600, 0.05f, false, false, false);   // a pause long enough for END_OF_TURN (audio-only hangover)
        feed(h, 400, 0.9f, false, false, false);    // the customer goes on before the agent is heard
        assertThat(types(h)).containsExactly(SpeechEventType.SPEECH_START, SpeechEventType.SPEECH_END,
                SpeechEventType.END_OF_TURN, SpeechEventType.BARGE_IN);
        assertThat(events(h).get(3).getTurnId()).isEqualTo(2);
        assertThat(events(h).get(3).getContinuesTurnId()).as("the customer only paused").isEqualTo(1);
        h.close();
    }

    @Test
    void onceTheAnswerHasPlayedOutSpeechStartsANewTurn() throws Exception {
        var h = harness(PerceptionConfig.defaults());
        feed(h, 800, 0.9f, false, false, false);
        feed(h, 600, 0.05f, false, false, false);
        h.processElement2(new AgentActivity(S, "r1", true, 1), 0);
        h.processElement2(new AgentActivity(S, "r1", false, 2), 0);
        feed(h, 400, 0.9f, false, false, false);
        assertThat(types(h)).containsExactly(SpeechEventType.SPEECH_START, SpeechEventType.SPEECH_END,
                SpeechEventType.END_OF_TURN, SpeechEventType.SPEECH_START);
        h.close();
    }

    @Test
    void withoutAnAnswerTheFloorReopensAfterTheAnswerDueTime() throws Exception {
        PerceptionConfig c = PerceptionConfig.defaults();
        var h = harness(c);
        feed(h, 800, 0.9f, false, false, false);
        feed(h, 600 + (int) (c.answerDueMicros / 1000), 0.05f, false, false, false);
        feed(h, 400, 0.9f, false, false, false);
        assertThat(types(h)).containsExactly(SpeechEventType.SPEECH_START, SpeechEventType.SPEECH_END,
                SpeechEventType.END_OF_TURN, SpeechEventType.SPEECH_START);
        h.close();
    }

    @Test
    void interruptingTheAgentWhileItSpeaksContinuesNoTurn() throws Exception {
        var h = harness(PerceptionConfig.defaults());
        h.processElement2(new AgentActivity(S, "r1", true, 1), 0);
        feed(h, 400, 0.9f, false, false, false);
        assertThat(types(h)).containsExactly(SpeechEventType.BARGE_IN);
        assertThat(events(h).get(0).getContinuesTurnId()).isZero();
        h.close();
    }

    @Test
    void backgroundSpeechWithAStillFaceNeitherBargesInNorStartsATurn() throws Exception {
        var h = harness(PerceptionConfig.defaults());
        h.processElement2(new AgentActivity(S, "r1", true, 1), 0);
        feed(h, 2000, 0.14f, true, true, true);
        assertThat(types(h)).containsExactly(SpeechEventType.BACKGROUND_SPEECH);
        h.close();
    }

    @Test
    void theAudioOnlyBaselineIsInterruptedByTheSameBackgroundSpeech() throws Exception {
        var h = harness(PerceptionConfig.defaults().audioOnly());
        h.processElement2(new AgentActivity(S, "r1", true, 1), 0);
        feed(h, 2000, 0.14f, true, true, true);
        assertThat(types(h)).containsExactly(SpeechEventType.BARGE_IN);
        h.close();
    }

    @Test
    void aRestoredSnapshotContinuesTheOpenTurn() throws Exception {
        PerceptionConfig c = PerceptionConfig.defaults();
        var h = harness(c);
        feed(h, 1000, 0.9f, true, false, false);
        OperatorSubtaskState snap = h.snapshot(1, 1);
        h.close();
        var h2 = unopened(c);
        h2.initializeState(snap);
        h2.open();
        feed(h2, 400, 0.05f, true, true, false);
        assertThat(types(h2)).containsExactly(SpeechEventType.SPEECH_END, SpeechEventType.END_OF_TURN);
        assertThat(first(h2, SpeechEventType.END_OF_TURN).getTurnId()).isEqualTo(1L);
        h2.close();
    }
}
