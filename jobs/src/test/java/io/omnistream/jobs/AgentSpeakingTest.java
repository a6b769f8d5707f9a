package io.omnistream.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.turn.AgentActivity;
import io.omnistream.schemas.AgentResponse;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AgentSpeakingTest {
    private KeyedOneInputStreamOperatorTestHarness<String, AgentResponse, AgentActivity> harness;

    @BeforeEach
    void open() throws Exception {
        harness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new AgentSpeaking()),
                r -> r.getSessionId(), Types.STRING);
        harness.open();
        harness.setProcessingTime(10_000);
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private static AgentResponse chunk(String rid, int seq, int millisOfAudio, boolean fin) {
        int samples = 16 * millisOfAudio;
        return AgentResponse.newBuilder().setSessionId("s").setResponseId(rid).setTurnId(1).setSeq(seq)
                .setAudio(millisOfAudio == 0 ? null : ByteBuffer.wrap(new byte[samples * 2])).setAudioSampleRate(16_000)
                .setIsFinal(fin).build();
    }

    private List<Boolean> changes() {
        return harness.extractOutputValues().stream().map(a -> a.speaking).toList();
    }

    @Test
    void theAgentKeepsSpeakingUntilItsAudioHasPlayedOutNotUntilSynthesisFinished() throws Exception {
        harness.processElement(chunk("s/1", 0, 2_000, false), 0);
        harness.processElement(chunk("s/1", 1, 1_000, false), 0);
        harness.processElement(chunk("s/1", 2, 0, true), 0); // synthesis done after a few ms; 3 s of audio queued
        assertThat(changes()).containsExactly(true);
        harness.setProcessingTime(10_000 + 2_900);
        assertThat(changes()).containsExactly(true); // still playing: a customer speaking now is a barge-in
        harness.setProcessingTime(10_000 + 3_000 + AgentSpeaking.PLAYOUT_MARGIN_MILLIS);
        assertThat(changes()).containsExactly(true, false);
    }

    @Test
    void chunksArrivingAfterAPauseExtendThePlayOutFromNow() throws Exception {
        harness.processElement(chunk("s/1", 0, 500, false), 0);
        harness.setProcessingTime(12_000); // first chunk played out long ago, the agent went quiet
        assertThat(changes()).containsExactly(true, false);
        harness.processElement(chunk("s/1", 1, 500, true), 0);
        // the same answer resumes: speaking again for the new chunk's length
        assertThat(changes()).containsExactly(true, false, true);
        harness.setProcessingTime(12_000 + 500 + AgentSpeaking.PLAYOUT_MARGIN_MILLIS);
        assertThat(changes()).containsExactly(true, false, true, false);
    }

    @Test
    void aCancelledAnswerStopsAtOnceAndANewAnswerRestartsThePlayOutClock() throws Exception {
        harness.processElement(chunk("s/1", 0, 5_000, false), 0);
        harness.setProcessingTime(11_000);
        harness.processElement(AgentResponse.newBuilder(chunk("s/1", 1, 0, false)).setCancelled(true).build(), 0);
        assertThat(changes()).containsExactly(true, false);
        harness.processElement(chunk("s/2", 0, 1_000, true), 0);
        harness.setProcessingTime(11_000 + 1_000 + AgentSpeaking.PLAYOUT_MARGIN_MILLIS);
        assertThat(changes()).containsExactly(true, false, true, false);
        harness.setProcessingTime(10_000 + 5_000 + AgentSpeaking.PLAYOUT_MARGIN_MILLIS); // the old answer's timer
        assertThat(changes()).containsExactly(true, false, true, false);
    }
}
