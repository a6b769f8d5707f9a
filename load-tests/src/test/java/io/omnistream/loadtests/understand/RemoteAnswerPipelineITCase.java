package io.omnistream.loadtests.understand;

import io.omnistream.jobs.RemoteOmniModelStage;

import static io.omnistream.operators.understand.testutils.Frames.event;
import static io.omnistream.operators.understand.testutils.Frames.tickEnd;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.omnistream.connectors.model.OmniModelConfig;
import io.omnistream.connectors.model.StreamingChatTestServer;
import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.operators.understand.UnderstandingPipeline;
import io.omnistream.operators.understand.UnderstandingStreams;
import io.omnistream.operators.understand.testutils.ChromiumScreenshots;
import io.omnistream.operators.understand.testutils.Frames;
import io.omnistream.operators.understand.testutils.PaceBySessionClock;
import io.omnistream.operators.understand.testutils.Recordings;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.SpeechEvent;
import io.omnistream.schemas.SpeechEventType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The understanding pipeline with the remote omni-model backend (Flink async I/O, streaming
 * chat-completions client) against the local SSE test server, on a local MiniCluster: the model's
 * answer is spoken when it streams, the embedded answer when the model fails.
 */
class RemoteAnswerPipelineITCase {
    private static StreamingChatTestServer server;
    private static byte[] dialog;
    private static short[] question;

    @BeforeAll
    static void start() throws Exception {
        server = new StreamingChatTestServer();
        Path work = Path.of("target/remote-it");
        question = Recordings.spoken("Hello. I cannot log in, I get an error.", work, 140);
        dialog = ChromiumScreenshots.render(ChromiumScreenshots.dialogs().stream()
                .filter(p -> p.toString().contains("signin")).findFirst().orElseThrow(), 1280, 720, work).jpeg();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static List<AgentResponse> run(String scenario) throws Exception {
        String s = "remote-" + scenario;
        // a long lead: the screen is read before the question ends; a long tail: the answer is spoken before the input ends
        List<PerceptionFrame> frames = Frames.session(s, question, 5000, 8000, dialog, 1);
        long start = 5_000_000;
        long end = start + question.length * 1_000_000L / 16_000;
        List<SpeechEvent> events = List.of(
                event(s, SpeechEventType.SPEECH_START, 1, tickEnd(start) + 120_000, start),
                event(s, SpeechEventType.SPEECH_END, 1, tickEnd(end) + 160_000, end),
                event(s, SpeechEventType.END_OF_TURN, 1, tickEnd(end) + 480_000, end));

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        long at = System.currentTimeMillis() + 8000; // operators load their models first
        DataStream<PerceptionFrame> f = env.fromData(frames, TypeInformation.of(PerceptionFrame.class))
                .map(new PaceBySessionClock<>(at, 0), TypeInformation.of(PerceptionFrame.class));
        DataStream<SpeechEvent> e = env.fromData(events, TypeInformation.of(SpeechEvent.class))
                .map(new PaceBySessionClock<>(at, 5_000), TypeInformation.of(SpeechEvent.class));
        OmniModelConfig model = new OmniModelConfig();
        model.baseUrl = server.baseUrl(scenario);
        model.firstTokenTimeout = Duration.ofSeconds(5); // generous: CI machines are shared
        model.totalTimeout = Duration.ofSeconds(20);
        model.retryBackoff = Duration.ofMillis(10);
        model.maxRetries = 1;
        UnderstandingConfig config = new UnderstandingConfig();
        config.asrDecodersPerInstance = 1;
        UnderstandingStreams out = UnderstandingPipeline.build(f, e, config, new RemoteOmniModelStage(model));
        CloseableIterator<AgentResponse> it = out.responses.collectAsync();
        env.execute("remote-answer-" + scenario);
        List<AgentResponse> rs = new ArrayList<>();
        it.forEachRemaining(rs::add);
        it.close();
        return rs;
    }

    private static String text(List<AgentResponse> rs) {
        return rs.stream().filter(r -> r.getTextDelta() != null).map(AgentResponse::getTextDelta).collect(Collectors.joining());
    }

    @Test
    void theRemoteModelsStreamedAnswerIsSpokenAfterARetriedServerError() throws Exception {
        List<AgentResponse> rs = run("flaky");
        assertThat(text(rs)).isEqualTo(String.join("", StreamingChatTestServer.ANSWER));
        assertThat(rs).allSatisfy(r -> assertThat(r.getBackend()).isEqualTo("qwen3-omni-test"));
        assertThat(rs.stream().filter(r -> r.getAudio() != null).count()).isGreaterThan(20);
        assertThat(rs.get(rs.size() - 1).getIsFinal()).isTrue();
        // what the model got: the transcript, the turn's audio as WAV and the screen as a JPEG data URI
        JsonNode content = server.requests.get(server.requests.size() - 1).path("messages").get(1).path("content");
        assertThat(content.findValuesAsText("type")).containsExactly("text", "input_audio", "image_url");
        assertThat(content.get(2).path("image_url").path("url").asText()).startsWith("data:image/jpeg;base64,/9j/");
    }

    @Test
    void aFailingModelFallsBackToTheEmbeddedAnswerNamingTheErrorCode() throws Exception {
        List<AgentResponse> rs = run("error500");
        assertThat(text(rs)).contains("0x80070005");
        assertThat(rs).allSatisfy(r -> assertThat(r.getBackend()).isEqualTo("embedded-fallback"));
        assertThat(rs.stream().filter(r -> r.getAudio() != null).count()).isGreaterThan(20);
    }
}
