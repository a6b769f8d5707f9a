package io.omnistream.connectors.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The streaming client against a real local SSE server. */
class OmniModelClientTest {
    private static StreamingChatTestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = new StreamingChatTestServer();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static OmniModelConfig config(String scenario) {
        OmniModelConfig c = new OmniModelConfig();
        c.baseUrl = server.baseUrl(scenario);
        c.firstTokenTimeout = Duration.ofMillis(600);
        c.totalTimeout = Duration.ofSeconds(3);
        c.retryBackoff = Duration.ofMillis(20);
        c.maxRetries = 2;
        return c;
    }

    private static final byte[] PCM = new byte[16000 * 2];
    private static final byte[] JPEG = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 1, 2, 3};

    private static OmniModelReply ask(OmniModelClient client, List<String> seen) throws Exception {
        return client.answer(new OmniModelRequest("s", 1, "i cannot log in", PCM, JPEG), seen::add).get(20, TimeUnit.SECONDS);
    }

    @Test
    void streamsTheTokensOfAGoodAnswerAndSendsTranscriptAudioAndScreen() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (OmniModelClient client = new OmniModelClient(config("ok"))) {
            OmniModelReply r = ask(client, seen);
            assertThat(r.ok()).as(String.valueOf(r.error)).isTrue();
            assertThat(r.deltas).isEqualTo(StreamingChatTestServer.ANSWER);
            assertThat(seen).isEqualTo(StreamingChatTestServer.ANSWER);
            assertThat(r.model).isEqualTo("qwen3-omni-test");
            assertThat(r.attempts).isEqualTo(1);
            assertThat(r.firstTokenMicros).isPositive().isLessThanOrEqualTo(r.totalMicros);
        }
        JsonNode req = server.requests.get(server.requests.size() - 1);
        JsonNode content = req.path("messages").get(1).path("content");
        assertThat(content.get(0).path("text").asText()).contains("i cannot log in");
        assertThat(content.get(1).path("type").asText()).isEqualTo("input_audio");
        assertThat(content.get(1).path("input_audio").path("format").asText()).isEqualTo("wav");
        byte[] wav = Base64.getDecoder().decode(content.get(1).path("input_audio").path("data").asText());
        assertThat(new String(wav, 0, 4)).isEqualTo("RIFF");
        assertThat(wav).hasSize(44 + PCM.length);
        assertThat(content.get(2).path("image_url").path("url").asText())
                .isEqualTo("data:image/jpeg;base64," + Base64.getEncoder().encodeToString(JPEG));
    }

    @Test
    void retriesAServerErrorAndSucceedsOnTheNextAttempt() throws Exception {
        OmniModelConfig c = config("flaky");
        c.firstTokenTimeout = Duration.ofSeconds(5); // the retry must not race the timeout on a busy CI machine
        c.totalTimeout = Duration.ofSeconds(10);
        try (OmniModelClient client = new OmniModelClient(c)) {
            OmniModelReply r = ask(client, new CopyOnWriteArrayList<>());
            assertThat(r.ok()).as(String.valueOf(r.error)).isTrue();
            assertThat(r.attempts).isEqualTo(2);
        }
    }

    @Test
    void givesUpAfterTheBoundedRetriesOfAFailingServer() throws Exception {
        int before = server.hits("error500");
        OmniModelConfig c = config("error500");
        c.breakerFailureThreshold = 100;
        try (OmniModelClient client = new OmniModelClient(c)) {
            OmniModelReply r = ask(client, new CopyOnWriteArrayList<>());
            assertThat(r.ok()).isFalse();
            assertThat(r.error).contains("HTTP 500");
            assertThat(r.attempts).isEqualTo(3);
            assertThat(r.deltas).isEmpty();
        }
        assertThat(server.hits("error500") - before).isEqualTo(3);
    }

    @Test
    void aSlowModelTimesOutBeforeItsFirstToken() throws Exception {
        OmniModelConfig c = config("slow-first");
        c.maxRetries = 1;
        try (OmniModelClient client = new OmniModelClient(c)) {
            List<String> seen = new CopyOnWriteArrayList<>();
            OmniModelReply r = ask(client, seen);
            assertThat(r.ok()).isFalse();
            assertThat(r.error).contains("first-token timeout");
            assertThat(r.attempts).isEqualTo(2);
            assertThat(seen).as("no token reached the caller").isEmpty();
        }
    }

    @Test
    void aStreamThatIsTooSlowOverallIsCutAtTheTotalTimeoutAndNotRetried() throws Exception {
        int before = server.hits("slow-stream");
        OmniModelConfig c = config("slow-stream");
        c.totalTimeout = Duration.ofMillis(1500);
        try (OmniModelClient client = new OmniModelClient(c)) {
            List<String> seen = new CopyOnWriteArrayList<>();
            OmniModelReply r = ask(client, seen);
            assertThat(r.ok()).isFalse();
            assertThat(r.error).contains("total timeout");
            assertThat(seen).isNotEmpty();
            assertThat(r.deltas).as("no half answers").isEmpty();
        }
        assertThat(server.hits("slow-stream") - before).isEqualTo(1);
    }

    @Test
    void aTruncatedStreamFailsTheReply() throws Exception {
        try (OmniModelClient client = new OmniModelClient(config("truncated"))) {
            OmniModelReply r = ask(client, new CopyOnWriteArrayList<>());
            assertThat(r.ok()).isFalse();
            assertThat(r.error).contains("truncated");
            assertThat(r.attempts).as("tokens had been streamed: no retry").isEqualTo(1);
        }
    }

    @Test
    void malformedEventsAndErrorEventsFailTheReply() throws Exception {
        try (OmniModelClient client = new OmniModelClient(config("malformed"))) {
            OmniModelReply r = ask(client, new CopyOnWriteArrayList<>());
            assertThat(r.ok()).isFalse();
            assertThat(r.error).contains("malformed");
        }
        try (OmniModelClient client = new OmniModelClient(config("error-event"))) {
            OmniModelReply r = ask(client, new CopyOnWriteArrayList<>());
            assertThat(r.ok()).isFalse();
            assertThat(r.error).contains("context length exceeded");
        }
    }

    @Test
    void theCircuitBreakerStopsCallingAFailingModelAndLetsATrialThroughLater() throws Exception {
        OmniModelConfig c = config("error500");
        c.maxRetries = 0;
        c.breakerFailureThreshold = 2;
        c.breakerOpenFor = Duration.ofMillis(300);
        try (OmniModelClient client = new OmniModelClient(c)) {
            int before = server.hits("error500");
            ask(client, new CopyOnWriteArrayList<>());
            ask(client, new CopyOnWriteArrayList<>());
            assertThat(client.breaker().state()).isEqualTo(CircuitBreaker.State.OPEN);
            OmniModelReply rejected = ask(client, new CopyOnWriteArrayList<>());
            assertThat(rejected.error).contains("circuit breaker open");
            assertThat(rejected.attempts).isZero();
            assertThat(server.hits("error500") - before).isEqualTo(2);
            Thread.sleep(350);
            OmniModelReply trial = ask(client, new CopyOnWriteArrayList<>());
            assertThat(trial.attempts).isEqualTo(1);
            assertThat(server.hits("error500") - before).isEqualTo(3);
            assertThat(client.breaker().state()).isEqualTo(CircuitBreaker.State.OPEN);
        }
    }
}
