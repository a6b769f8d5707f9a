package io.omnistream.connectors.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.schemas.AgentResponse;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class AgentVoiceTest {

    private static AgentResponse audio(String rid, int seq, int rate, double seconds, boolean fin) {
        return AgentResponse.newBuilder().setSessionId("s").setResponseId(rid).setTurnId(1).setSeq(seq)
                .setAudio(ByteBuffer.wrap(TestMedia.tone(rate, 300, seconds, 0.5))).setAudioSampleRate(rate)
                .setIsFinal(fin).build();
    }

    @Test
    void cutsAnswersIntoTenMillisecondFramesAtFortyEightKilohertz() {
        AgentVoice v = new AgentVoice(3, 1000);
        assertThat(v.offer(audio("r", 0, 16000, 0.1, true))).isTrue();
        assertThat(v.queuedFrames()).isEqualTo(10);
        byte[] f = v.nextFrame();
        assertThat(f).hasSize(AgentVoice.FRAME * 2);
    }

    @Test
    void dropsDuplicatesByResponseIdAndSeq() {
        AgentVoice v = new AgentVoice(1, 1000);
        assertThat(v.offer(audio("r", 0, 24000, 0.05, false))).isTrue();
        assertThat(v.offer(audio("r", 0, 24000, 0.05, false))).isFalse();
        assertThat(v.offer(audio("r", 1, 24000, 0.05, false))).isTrue();
        assertThat(v.queuedFrames()).isEqualTo(9); // 100 ms, the last frame waits for more audio or isFinal
    }

    @Test
    void waitsForTheJitterBufferBeforePlayingUnlessTheAnswerIsComplete() {
        AgentVoice v = new AgentVoice(5, 1000);
        v.offer(audio("r", 0, 48000, 0.03, false));
        assertThat(v.nextFrame()).isNull(); // 3 of 5 frames: still filling
        v.offer(audio("r", 1, 48000, 0.02, false));
        assertThat(v.nextFrame()).isNotNull();
        AgentVoice shortAnswer = new AgentVoice(5, 1000);
        shortAnswer.offer(audio("q", 0, 48000, 0.02, true));
        assertThat(shortAnswer.nextFrame()).isNotNull();
    }

    @Test
    void bargeInFlushEmptiesTheQueueAtOnce() {
        AgentVoice v = new AgentVoice(1, 1000);
        v.offer(audio("r", 0, 16000, 2.0, false));
        assertThat(v.queuedFrames()).isEqualTo(199);
        v.nextFrame();
        v.flush();
        assertThat(v.queuedFrames()).isZero();
        assertThat(v.nextFrame()).isNull();
    }

    @Test
    void aCancelledResponseFlushesAndIgnoresItsLateChunks() {
        AgentVoice v = new AgentVoice(1, 1000);
        v.offer(audio("r", 0, 16000, 1.0, false));
        assertThat(v.offer(AgentResponse.newBuilder().setSessionId("s").setResponseId("r").setTurnId(1).setSeq(5)
                .setCancelled(true).build())).isTrue();
        assertThat(v.queuedFrames()).isZero();
        assertThat(v.offer(audio("r", 1, 16000, 1.0, false))).isFalse();
        assertThat(v.queuedFrames()).isZero();
        assertThat(v.offer(audio("next", 0, 16000, 0.1, true))).isTrue();
        assertThat(v.queuedFrames()).isEqualTo(10);
    }

    @Test
    void boundsTheQueueDroppingTheOldestFrames() {
        AgentVoice v = new AgentVoice(1, 50);
        v.offer(audio("r", 0, 48000, 1.0, true));
        assertThat(v.queuedFrames()).isEqualTo(50);
        assertThat(v.droppedFrames()).isEqualTo(50);
    }

    @Test
    void aNewAnswerCutsThePreviousOneStillPlayingAndItsLateChunksAreDropped() {
        AgentVoice v = new AgentVoice(1, 1000);
        v.offer(audio("s/1", 0, 16000, 3.0, false));
        v.nextFrame();
        assertThat(v.queuedFrames()).isGreaterThan(250);
        assertThat(v.classify(audio("s/2", 0, 16000, 0.1, true))).isEqualTo(AgentVoice.Offer.ACCEPTED);
        assertThat(v.queuedFrames()).isEqualTo(10);
        assertThat(v.supersededAnswers()).isEqualTo(1);
        // the old answer's synthesis was still streaming: its next chunk must not be heard after the new answer
        assertThat(v.classify(audio("s/1", 1, 16000, 1.0, false))).isEqualTo(AgentVoice.Offer.STALE);
        // nor may its cancellation (a barge-in of the old turn) cut the new answer
        assertThat(v.classify(AgentResponse.newBuilder().setSessionId("s").setResponseId("s/1").setTurnId(1).setSeq(9)
                .setCancelled(true).build())).isEqualTo(AgentVoice.Offer.STALE);
        assertThat(v.queuedFrames()).isEqualTo(10);
        assertThat(v.staleChunks()).isEqualTo(2);
    }

    @Test
    void anAnswerThatFinishedPlayingIsNotCountedAsCutShort() {
        AgentVoice v = new AgentVoice(1, 1000);
        v.offer(audio("s/1", 0, 16000, 0.05, true));
        while (v.nextFrame() != null) {
            // play it out
        }
        assertThat(v.offer(audio("s/2", 0, 16000, 0.05, true))).isTrue();
        assertThat(v.supersededAnswers()).isZero();
        assertThat(v.queuedFrames()).isEqualTo(5);
    }
}
