package io.omnistream.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.connectors.kafka.KafkaConnectorConfig;
import io.omnistream.connectors.kafka.OmniKafkaProperties;
import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.connectors.kafka.serde.AvroDeserializer;
import io.omnistream.connectors.kafka.serde.AvroSerializer;
import io.omnistream.connectors.testutils.KafkaTestSupport;
import io.omnistream.operators.understand.testutils.ChromiumScreenshots;
import io.omnistream.operators.understand.testutils.Recordings;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.MediaKind;
import io.omnistream.schemas.OmniEvent;
import io.omnistream.schemas.ScreenText;
import io.omnistream.schemas.SpeechEvent;
import io.omnistream.schemas.SpeechEventType;
import io.omnistream.schemas.Transcript;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole session pipeline through the real broker: a spoken question (espeak-ng) with an error dialog
 * (rendered by headless Chromium) on the shared screen goes in as media chunks, paced in real time as the edge
 * would send them; out come speech events, a transcript and the screen text on {@code omni.events}, and a spoken
 * answer naming the error code on {@code omni.agent}.
 */
class AnswerLoopITCase {
    private static final String SESSION = "session-answer-loop";

    @RegisterExtension
    static final KafkaTestSupport KAFKA = KafkaTestSupport.withOmniTopics(2);

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    @Test
    void aSpokenQuestionWithAnErrorDialogGetsCaptionsScreenTextAndASpokenAnswerNamingTheCode() throws Exception {
        Path work = Path.of("target/answer-loop-it");
        short[] question = Recordings.spoken("Hello. I cannot log in, I get an error.", work, 140);
        byte[] dialog = ChromiumScreenshots.render(ChromiumScreenshots.dialogs().stream()
                .filter(p -> p.toString().contains("signin")).findFirst().orElseThrow(), 1280, 720, work).jpeg();

        String bootstrap = KAFKA.bootstrapServers();
        KafkaConnectorConfig kafka = KafkaConnectorConfig.forTests();
        PipelineConfig config = new PipelineConfig();
        config.checkpointInterval = Duration.ZERO;
        JobClient job = new SessionPipelineJob(JobSources.kafka(bootstrap, kafka), JobSinks.kafka(bootstrap, kafka, null), config)
                .executeAsync(StreamExecutionEnvironment.getExecutionEnvironment());
        try {
            // 3 s with the dialog on screen, the question, then silence while the answer is spoken
            short[] audio = new short[16_000 * 3 + question.length + 16_000 * 9];
            System.arraycopy(question, 0, audio, 16_000 * 3, question.length);
            sendPaced(bootstrap, audio, dialog);

            List<OmniEvent> events = new ArrayList<>();
            List<AgentResponse> answer = new ArrayList<>();
            collect(bootstrap, events, answer, Duration.ofSeconds(60));

            List<SpeechEventType> speech = events.stream().filter(e -> e.getPayload() instanceof SpeechEvent)
                    .map(e -> ((SpeechEvent) e.getPayload()).getType()).toList();
            assertThat(speech).contains(SpeechEventType.SPEECH_START, SpeechEventType.END_OF_TURN);
            assertThat(events.stream().filter(e -> e.getPayload() instanceof Transcript)
                    .map(e -> (Transcript) e.getPayload()).filter(Transcript::getIsFinal)).hasSize(1);
            List<ScreenText> screens = events.stream().filter(e -> e.getPayload() instanceof ScreenText)
                    .map(e -> (ScreenText) e.getPayload()).toList();
            assertThat(screens).isNotEmpty();
            assertThat(screens.get(0).getIdentifiers()).extracting(i -> i.getValue()).contains("0x80070005");

            String text = answer.stream().filter(r -> r.getTextDelta() != null).map(AgentResponse::getTextDelta)
                    .collect(Collectors.joining());
            assertThat(text).contains("0x80070005");
            assertThat(answer.stream().filter(r -> r.getAudio() != null).count() * 0.02)
                    .as("seconds of synthesized answer").isGreaterThan(2.0);
            assertThat(answer.get(answer.size() - 1).getIsFinal()).isTrue();
        } finally {
            job.cancel().get();
        }
    }

    /** 20 ms chunks on a session clock that starts now, each sent when complete; the dialog at 0.5 s. */
    private static void sendPaced(String bootstrap, short[] audio, byte[] dialog) throws Exception {
        try (KafkaProducer<String, MediaChunk> producer = new KafkaProducer<>(OmniKafkaProperties.lowLatencyProducer(bootstrap),
                new StringSerializer(), new AvroSerializer<>(MediaChunk.class))) {
            long origin = System.currentTimeMillis() / 1000 * 1_000_000L + 1_000_000L;
            for (int seq = 0; seq * 320 < audio.length; seq++) {
                long capture = origin + seq * 20_000L;
                long due = (capture + 20_000) / 1000 - System.currentTimeMillis();
                if (due > 0) {
                    Thread.sleep(due);
                }
                ByteBuffer pcm = ByteBuffer.allocate(640).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < 320; i++) {
                    int idx = seq * 320 + i;
                    pcm.putShort(idx < audio.length ? audio[idx] : 0);
                }
                pcm.flip();
                long now = System.currentTimeMillis() * 1000;
                send(producer, MediaChunk.newBuilder().setSessionId(SESSION).setTrackId("mic").setKind(MediaKind.AUDIO)
                        .setSeq(seq).setCaptureTimeMicros(capture).setArrivalTimeMicros(now).setDurationMicros(20_000)
                        .setSampleRate(16_000).setPayload(pcm).build());
                if (seq == 25) {
                    send(producer, MediaChunk.newBuilder().setSessionId(SESSION).setTrackId("screen").setKind(MediaKind.SCREEN)
                            .setSeq(0).setCaptureTimeMicros(capture).setArrivalTimeMicros(now).setWidth(1280).setHeight(720)
                            .setPayload(ByteBuffer.wrap(dialog)).build());
                }
            }
        }
    }

    private static void send(KafkaProducer<String, MediaChunk> producer, MediaChunk chunk) {
        producer.send(new ProducerRecord<>(OmniTopics.mediaTopic(chunk.getKind()), chunk.getSessionId(), chunk));
    }

    /** Reads omni.events and omni.agent until the answer's final chunk arrives or the time is up. */
    private static void collect(String bootstrap, List<OmniEvent> events, List<AgentResponse> answer, Duration timeout) {
        Properties props = OmniKafkaProperties.lowLatencyConsumer(bootstrap);
        props.put("auto.offset.reset", "earliest");
        props.put("group.id", "answer-loop-events");
        Properties agentProps = (Properties) props.clone();
        agentProps.put("group.id", "answer-loop-agent");
        try (KafkaConsumer<String, OmniEvent> ev = new KafkaConsumer<>(props, new StringDeserializer(), new AvroDeserializer<>(OmniEvent.class));
             KafkaConsumer<String, AgentResponse> ag = new KafkaConsumer<>(agentProps, new StringDeserializer(),
                     new AvroDeserializer<>(AgentResponse.class))) {
            ev.subscribe(List.of(OmniTopics.EVENTS));
            ag.subscribe(List.of(OmniTopics.AGENT));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline
                    && (answer.isEmpty() || !answer.get(answer.size() - 1).getIsFinal())) {
                for (ConsumerRecord<String, OmniEvent> r : ev.poll(Duration.ofMillis(100))) {
                    events.add(r.value());
                }
                for (ConsumerRecord<String, AgentResponse> r : ag.poll(Duration.ofMillis(100))) {
                    answer.add(r.value());
                }
            }
            for (ConsumerRecord<String, OmniEvent> r : ev.poll(Duration.ofMillis(500))) {
                events.add(r.value());
            }
        }
    }
}
