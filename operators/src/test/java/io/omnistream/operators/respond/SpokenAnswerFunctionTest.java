package io.omnistream.operators.respond;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.asr.TurnUpdate;
import io.omnistream.operators.turn.AgentActivity;
import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.Identifier;
import io.omnistream.schemas.IdentifierType;
import io.omnistream.schemas.ScreenText;
import io.omnistream.schemas.Transcript;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The responder + espeak-ng operator, driven by turn updates as ASR emits them. */
class SpokenAnswerFunctionTest {
    private static final String S = "s1";
    private KeyedTwoInputStreamOperatorTestHarness<String, TurnUpdate, ScreenText, AgentResponse> harness;
    private long now;

    private void open(boolean remote) throws Exception {
        UnderstandingConfig c = new UnderstandingConfig();
        harness = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new SpokenAnswerFunction(c, remote)),
                u -> u.sessionId, ScreenText::getSessionId, Types.STRING);
        harness.open();
        harness.setProcessingTime(now);
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private static TurnUpdate update(TurnUpdate.Kind kind, long turn, String text, boolean fin) {
        Transcript t = text == null ? null : Transcript.newBuilder().setSessionId(S).setTurnId(turn).setSeq(0).setText(text).setIsFinal(fin).build();
        return new TurnUpdate(S, turn, kind, t);
    }

    private static ScreenText loginDialog() {
        return ScreenText.newBuilder().setSessionId(S).setFrameSeq(3).setCaptureTimeMicros(0)
                .setLines(List.of("Sign in failed", "We couldn't sign you in. Access is denied.", "Error code: 0x80070005"))
                .setIdentifiers(List.of(Identifier.newBuilder().setType(IdentifierType.ERROR_CODE).setValue("0x80070005").build()))
                .build();
    }

    private List<AgentResponse> out() {
        return harness.getOutput().stream().filter(o -> o instanceof StreamRecord)
                .map(o -> (AgentResponse) ((StreamRecord<?>) o).getValue()).collect(Collectors.toList());
    }

    private List<AgentActivity> activity() {
        return harness.getSideOutput(SpokenAnswerFunction.ACTIVITY) == null ? List.of()
                : harness.getSideOutput(SpokenAnswerFunction.ACTIVITY).stream().map(StreamRecord::getValue).collect(Collectors.toList());
    }

    private static String text(List<AgentResponse> rs) {
        return rs.stream().filter(r -> r.getTextDelta() != null).map(AgentResponse::getTextDelta).collect(Collectors.joining());
    }

    private void advanceUntilFinal() throws Exception {
        for (int i = 0; i < 2000 && out().stream().noneMatch(AgentResponse::getIsFinal); i++) {
            Thread.sleep(1);
            now += 5;
            harness.setProcessingTime(now);
        }
    }

    @Test
    void preparesAtTheSpeechDropAndSpeaksAtOnceAtTheEndOfTurn() throws Exception {
        open(false);
        harness.processElement2(new StreamRecord<>(loginDialog()));
        harness.processElement1(new StreamRecord<>(update(TurnUpdate.Kind.SPEECH_PAUSE, 1, "i cannot log in i get an error", false)));
        assertThat(out()).as("nothing is said before the end of the turn").isEmpty();
        Thread.sleep(200); // synthesis runs ahead on the espeak-ng thread
        harness.processElement1(new StreamRecord<>(update(TurnUpdate.Kind.END_OF_TURN, 1, "i cannot log in i get an error", true)));

        List<AgentResponse> first = out();
        assertThat(text(first)).contains("sign in").contains("0x80070005");
        assertThat(first.stream().filter(r -> r.getAudio() != null).count()).as("prepared audio chunks out at once").isGreaterThan(5);
        // speaking starts with the first chunk (a short answer synthesised ahead may already be complete as well)
        assertThat(activity()).extracting(a -> a.speaking).startsWith(true);

        advanceUntilFinal();
        List<AgentResponse> all = out();
        AgentResponse last = all.get(all.size() - 1);
        assertThat(last.getIsFinal()).isTrue();
        assertThat(last.getCancelled()).isFalse();
        List<AgentResponse> audio = all.stream().filter(r -> r.getAudio() != null).collect(Collectors.toList());
        assertThat(audio).allSatisfy(r -> {
            assertThat(r.getAudioSampleRate()).isEqualTo(16000);
            assertThat(r.getAudio().remaining()).isEqualTo(640);
        });
        assertThat(audio.size() * 0.02).as("seconds of speech").isGreaterThan(5.0);
        assertThat(all).extracting(AgentResponse::getSeq).isSorted().doesNotHaveDuplicates();
        assertThat(all).allSatisfy(r -> assertThat(r.getResponseId()).isEqualTo(S + "/1"));
        assertThat(activity()).extracting(a -> a.speaking).containsExactly(true, false);
        assertThat(harness.getSideOutput(SpokenAnswerFunction.ANSWERS)).hasSize(1);
    }

    @Test
    void aBargeInStopsTheAnswerAtOnce() throws Exception {
        open(false);
        harness.processElement1(new StreamRecord<>(update(TurnUpdate.Kind.END_OF_TURN, 1, "i want a refund", true)));
        assertThat(out().stream().filter(r -> r.getAudio() != null)).isNotEmpty();
        harness.processElement1(new StreamRecord<>(update(TurnUpdate.Kind.BARGE_IN, 2, null, false)));
        int size = out().size();
        AgentResponse last = out().get(size - 1);
        assertThat(last.getCancelled()).isTrue();
        assertThat(last.getIsFinal()).isTrue();
        for (int i = 0; i < 20; i++) {
            now += 5;
            harness.setProcessingTime(now);
        }
        assertThat(out()).hasSize(size);
        assertThat(activity()).extracting(a -> a.speaking).containsExactly(true, false);
    }

    @Test
    void speechResumingDiscardsThePreparedAnswer() throws Exception {
        open(false);
        harness.processElement1(new StreamRecord<>(update(TurnUpdate.Kind.SPEECH_PAUSE, 1, "hello", false)));
        harness.processElement1(new StreamRecord<>(update(TurnUpdate.Kind.RESUMED, 1, null, false)));
        harness.processElement1(new StreamRecord<>(update(TurnUpdate.Kind.END_OF_TURN, 1, "hello i want to cancel my subscription", true)));
        advanceUntilFinal();
        assertThat(text(out())).contains("cancel your subscription").doesNotContain("How can I help");
    }

    @Test
    void speaksTheRemoteModelsAnswerAndFallsBackWhenItFailed() throws Exception {
        open(true);
        TurnUpdate eot = update(TurnUpdate.Kind.END_OF_TURN, 1, "i cannot log in", true);
        harness.processElement1(new StreamRecord<>(eot));
        assertThat(out()).as("the remote model answers this turn").isEmpty();
        harness.processElement1(new StreamRecord<>(TurnUpdate.remoteAnswer(eot, List.of("Please ", "reset ", "your password."), "qwen3-omni", null)));
        advanceUntilFinal();
        assertThat(text(out())).isEqualTo("Please reset your password.");
        assertThat(out()).allSatisfy(r -> assertThat(r.getBackend()).isEqualTo("qwen3-omni"));
        assertThat(out().stream().filter(r -> r.getAudio() != null)).isNotEmpty();

        harness.getOutput().clear();
        TurnUpdate eot2 = update(TurnUpdate.Kind.END_OF_TURN, 2, "i want to talk to a human", true);
        harness.processElement1(new StreamRecord<>(eot2));
        harness.processElement1(new StreamRecord<>(TurnUpdate.remoteAnswer(eot2, List.of(), null, "HTTP 503")));
        advanceUntilFinal();
        assertThat(text(out())).contains("transferring you");
        assertThat(out()).allSatisfy(r -> assertThat(r.getBackend()).isEqualTo("embedded-fallback"));
    }
}
