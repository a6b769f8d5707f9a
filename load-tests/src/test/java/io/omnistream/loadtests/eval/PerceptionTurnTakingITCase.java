package io.omnistream.loadtests.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.loadtests.eval.EvalSession.Utterance;
import io.omnistream.operators.perception.PerceptionConfig;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A small version of the turn-taking evaluation: real recordings, the talking-face video, the real
 * models and operators in a Flink MiniCluster. Asserts decisions (who spoke, which turn ended,
 * whether background speech interrupted), never wall-clock timings.
 */
class PerceptionTurnTakingITCase {
    private static TurnTakingEvaluation.Result result;

    @BeforeAll
    static void run() throws Exception {
        result = TurnTakingEvaluation.run(List.of("clean", "no-face", "bg-silent-face"), 2, EvalSetGenerator.LipModel.PARTED,
                PerceptionConfig.defaults(), 2);
    }

    private static List<EvalSession> sessions(String scenario) {
        return result.sessions.stream().filter(s -> s.scenario.equals(scenario)).collect(Collectors.toList());
    }

    private static List<EvalEvent> events(String mode, EvalSession s, String type) {
        return result.events.stream().filter(e -> e.mode.equals(mode) && e.sessionId.equals(s.id) && e.type.equals(type))
                .collect(Collectors.toList());
    }

    @Test
    void everyCustomerUtteranceStartsATurnAndEndsIt() {
        for (String sc : List.of("clean", "no-face")) {
            EvalReport.Figures av = EvalReport.figures(sessions(sc), result.events, EvalEvent.AUDIO_VISUAL);
            assertThat(av.utterances).isEqualTo(4);
            assertThat(av.missedTurns).as(sc).isZero();
            assertThat(av.noEot).as(sc).isZero();
        }
    }

    @Test
    void closedLipsEndTheTurnOnTheMediaClockBeforeTheAudioOnlyHangoverWould() {
        for (EvalSession s : sessions("clean")) {
            for (Utterance u : s.utterances) {
                EvalEvent av = events(EvalEvent.AUDIO_VISUAL, s, "END_OF_TURN").stream()
                        .filter(e -> e.sessionTimeMicros >= u.endMicros - 200_000).findFirst().orElseThrow();
                EvalEvent ao = events(EvalEvent.AUDIO_ONLY, s, "END_OF_TURN").stream()
                        .filter(e -> e.sessionTimeMicros >= u.endMicros - 200_000).findFirst().orElseThrow();
                assertThat(av.audioVisual).isTrue();
                assertThat(ao.audioVisual).isFalse();
                assertThat(av.sessionTimeMicros).as("%s utterance ending at %d", s.id, u.endMicros).isLessThan(ao.sessionTimeMicros);
            }
        }
    }

    @Test
    void withoutAFaceTheTurnEndsOnAudioAlone() {
        for (EvalSession s : sessions("no-face")) {
            assertThat(events(EvalEvent.AUDIO_VISUAL, s, "END_OF_TURN")).isNotEmpty().allSatisfy(e -> assertThat(e.audioVisual).isFalse());
        }
    }

    @Test
    void backgroundSpeechInterruptsTheAgentOnlyWhenLipsAreIgnored() {
        EvalReport.Figures av = EvalReport.figures(sessions("bg-silent-face"), result.events, EvalEvent.AUDIO_VISUAL);
        EvalReport.Figures ao = EvalReport.figures(sessions("bg-silent-face"), result.events, EvalEvent.AUDIO_ONLY);
        assertThat(av.falseInterruptions).isZero();
        assertThat(ao.falseInterruptions).isGreaterThan(0);
        for (EvalSession s : sessions("bg-silent-face")) {
            assertThat(events(EvalEvent.AUDIO_VISUAL, s, "BACKGROUND_SPEECH")).isNotEmpty();
        }
    }

    @Test
    void everyDecisionCarriesItsLatencyTrace() {
        Map<String, Long> withTrace = result.events.stream().filter(e -> !e.mode.equals(EvalEvent.OFFSET))
                .collect(Collectors.groupingBy(e -> e.value >= 0 ? "traced" : "untraced", Collectors.counting()));
        assertThat(withTrace).containsOnlyKeys("traced");
    }
}
