package io.omnistream.connectors.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.connectors.edge.client.EdgeClient;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.ControlType;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.MediaKind;
import io.omnistream.schemas.OmniEvent;
import io.omnistream.schemas.SpeechEvent;
import io.omnistream.schemas.SpeechEventType;
import io.omnistream.schemas.Transcript;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/**
 * A webrtc-java customer (the load generator's client) joins a real edge backed by a real broker: its speech,
 * camera and screen land in Kafka at the pipeline's rates, and an agent answer put on {@code omni.agent} comes back
 * as text on the data channel and as audible audio on the agent track; a barge-in empties the queued voice.
 */
class JavaClientEdgeITCase {

    @Test
    void mediaReachesKafkaAndTheAgentAnswerIsShownAndHeard() throws Exception {
        String bootstrap = EdgeTestKafka.bootstrap();
        EdgeConfig cfg = EdgeConfig.builder().host("127.0.0.1").port(0).bootstrapServers(bootstrap).build();
        try (EdgeServer edge = EdgeServer.start(cfg);
                EdgeTestKafka.Collector kafka = new EdgeTestKafka.Collector();
                KafkaProducer<String, byte[]> producer = EdgeTestKafka.producer()) {
            await(edge::returnPathReady, Duration.ofSeconds(30), "return path assigned");
            short[] speech = TestMedia.speech48k();
            String sid;
            try (EdgeClient client = EdgeClient.connect(edge.url(), EdgeClient.Options.all(speech), Duration.ofSeconds(30))) {
                sid = client.sessionId();
                await(() -> kafka.media(sid, MediaKind.AUDIO).size() >= 150, Duration.ofSeconds(20), () -> "3 s of audio: "
                        + "edge chunks " + edge.metrics().audioChunks() + " camera " + edge.metrics().cameraFrames()
                        + " in kafka " + kafka.media.size() + " client " + client.state() + " " + client.signalingErrors());
                await(() -> !kafka.media(sid, MediaKind.SCREEN).isEmpty(), Duration.ofSeconds(10), "a screen frame");
                MediaChecks.assertAudio(kafka.media(sid, MediaKind.AUDIO), true);
                MediaChecks.assertVideo(kafka.media(sid, MediaKind.CAMERA), 320, 240, 15);
                MediaChecks.assertVideo(kafka.media(sid, MediaKind.SCREEN), 1280, 720, 2);
                assertThat(kafka.control(sid)).extracting(c -> c.getType()).contains(ControlType.STARTED);
                // the edge samples how long the customer's audio waits in its receive jitter buffer
                await(() -> edge.metrics().audioJitterBufferMeanMs() > 0, Duration.ofSeconds(10),
                        () -> "jitter buffer delay sampled: " + edge.metrics().audioJitterBufferMeanMs());
                assertThat(edge.metrics().audioJitterBufferMaxMs()).isLessThan(10_000);

                // the answer, with one chunk delivered twice (at-least-once sink)
                byte[] tone = TestMedia.tone(24000, 440, 1.0, 0.5);
                int part = tone.length / 4 & ~1;
                for (int seq = 0; seq < 4; seq++) {
                    byte[] chunk = Arrays.copyOfRange(tone, seq * part, seq == 3 ? tone.length : (seq + 1) * part);
                    AgentResponse r = AgentResponse.newBuilder().setSessionId(sid).setResponseId("r1").setTurnId(1)
                            .setSeq(seq).setTextDelta(seq == 0 ? "Your order " : seq == 1 ? "ships today." : null)
                            .setAudio(ByteBuffer.wrap(chunk)).setAudioSampleRate(24000).setIsFinal(seq == 3).build();
                    EdgeTestKafka.sendAgent(producer, r);
                    if (seq == 1) {
                        EdgeTestKafka.sendAgent(producer, r);
                    }
                }
                EdgeTestKafka.sendEvent(producer, OmniEvent.newBuilder().setSessionId(sid).setPayload(
                        Transcript.newBuilder().setSessionId(sid).setTurnId(1).setSeq(0).setText("where is my order")
                                .setIsFinal(true).build()).build());
                await(() -> client.loudAgentFrames() >= 30, Duration.ofSeconds(15), () -> "agent voice heard by the client: "
                        + "played " + edge.metrics().agentFramesPlayed() + " client frames " + client.agentFrames()
                        + " loud " + client.loudAgentFrames() + " events " + client.events());
                await(() -> client.events().stream().filter(e -> "answer".equals(e.getString("type"))).count() >= 4,
                        Duration.ofSeconds(10), "answer events");
                List<String> texts = client.events().stream().filter(e -> "answer".equals(e.getString("type")))
                        .map(e -> e.getString("text")).filter(t -> t != null).toList();
                assertThat(texts).containsExactly("Your order ", "ships today.");
                await(() -> client.events().stream().anyMatch(e -> "caption".equals(e.getString("type"))
                        && "where is my order".equals(e.getString("text"))), Duration.ofSeconds(10), "caption");
                assertThat(edge.metrics().agentDuplicates()).isGreaterThanOrEqualTo(1);
                assertThat(client.maxAgentRms()).isGreaterThan(0.05);

                // renegotiation on the live session: media keeps flowing and the agent voice still plays (the
                // #217 guard pauses pushing until recording is stopped again, instead of aborting the JVM)
                client.renegotiate(Duration.ofSeconds(15));
                int audioBefore = kafka.media(sid, MediaKind.AUDIO).size();
                long loudBefore = client.loudAgentFrames();
                EdgeTestKafka.sendAgent(producer, AgentResponse.newBuilder().setSessionId(sid).setResponseId("r1b")
                        .setTurnId(1).setSeq(0).setAudio(ByteBuffer.wrap(TestMedia.tone(24000, 500, 1.0, 0.5)))
                        .setAudioSampleRate(24000).setIsFinal(true).build());
                await(() -> client.loudAgentFrames() >= loudBefore + 30, Duration.ofSeconds(15),
                        "agent voice after renegotiation");
                await(() -> kafka.media(sid, MediaKind.AUDIO).size() >= audioBefore + 50, Duration.ofSeconds(10),
                        "audio after renegotiation");
                MediaChecks.assertAudio(kafka.media(sid, MediaKind.AUDIO), true);

                // barge-in: a long answer is queued, then the customer interrupts
                byte[] longTone = TestMedia.tone(16000, 300, 8.0, 0.4);
                EdgeTestKafka.sendAgent(producer, AgentResponse.newBuilder().setSessionId(sid).setResponseId("r2")
                        .setTurnId(2).setSeq(0).setAudio(ByteBuffer.wrap(longTone)).setAudioSampleRate(16000).build());
                await(() -> edge.queuedAgentFrames(sid) > 300, Duration.ofSeconds(10), "long answer queued");
                double flushesBefore = edge.metrics().agentFlushes();
                EdgeTestKafka.sendEvent(producer, OmniEvent.newBuilder().setSessionId(sid).setPayload(
                        SpeechEvent.newBuilder().setSessionId(sid).setEventId("b1").setType(SpeechEventType.BARGE_IN)
                                .setTurnId(3).setSessionTimeMicros(0).setConfidence(0.9f).build()).build());
                await(() -> edge.queuedAgentFrames(sid) == 0, Duration.ofSeconds(5), "queue flushed by barge-in");
                assertThat(edge.metrics().agentFlushes()).isGreaterThan(flushesBefore);
            }
            await(() -> kafka.control(sid).stream().anyMatch(c -> c.getType() == ControlType.ENDED),
                    Duration.ofSeconds(15), "ENDED published");
            await(() -> edge.activeSessions() == 0 && edge.disposingSessions() == 0, Duration.ofSeconds(15), "session gone");
        }
    }

    static void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        await(condition, timeout, () -> what);
    }

    static void await(BooleanSupplier condition, Duration timeout, java.util.function.Supplier<String> what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what.get());
            }
            Thread.sleep(50);
        }
    }

    static List<MediaChunk> sorted(List<MediaChunk> l) {
        return l.stream().sorted((a, b) -> Long.compare(a.getSeq(), b.getSeq())).toList();
    }
}
