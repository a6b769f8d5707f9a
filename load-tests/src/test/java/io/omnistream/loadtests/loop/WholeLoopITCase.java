package io.omnistream.loadtests.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.omnistream.operators.perception.ModelFiles;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole product in one test: {@code omni run} (broker, Flink job, WebRTC edge) and a real headless Chromium on
 * the real web client whose microphone plays a real question. The customer must hear the agent answer: the page's
 * analyser on the agent track finds agent audio after the end of the question, the answer text arrives, and the
 * page's latency probe calibrated itself on the capture file. No timing is asserted (that is the benchmark's job).
 */
class WholeLoopITCase {

    @Test
    void customerHearsTheAgentAnswerAfterAskingAQuestion(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(ChromiumPage.CHROMIUM), "Debian chromium is installed by deploy/local/setup.sh");
        Path root = Path.of(System.getProperty("omni.project.root", "..")).toAbsolutePath().normalize();
        // two questions, each followed by silence for the answer; the second also anchors the timeline when the page
        // was too slow to hear the first one's beep
        LoopMedia media = LoopMedia.write(dir.resolve("media"), ModelFiles.modelsDir(), 2, 8.0, 0, 0, 5);
        // the web client from this checkout (the installed connectors jar may predate the latency probe)
        ClassLoader previous = DevWebRoot.install(root.resolve("connectors/src/main/resources"));
        try (OmniRun run = new OmniRun(dir.resolve("run"))) {
            Thread.currentThread().setContextClassLoader(previous);
            try (TraceCollector traces = new TraceCollector(run.kafkaBootstrap)) {
                BrowserLoop.PageResult page = BrowserLoop.run(run.edgeUrl, media, dir.resolve("chromium"),
                        Duration.ofSeconds(30), "omni.turns.length > 0 && omni.answers.length > 0", System.out::println); // ends as soon as heard

                System.out.println("what the page saw: " + page.diagnostics());
                assertThat(page.calibration()).as("an utterance's calibration beep heard by the page").isNotNull();
                assertThat(page.errors()).as("page errors").isEmpty();
                assertThat(page.answers()).as("answer text on the page").isNotEmpty();
                assertThat(page.turns()).as("agent voice heard after the question; the page saw %s", page.diagnostics())
                        .isNotEmpty();
                JsonObject turn = page.turns().getJsonObject(0);
                assertThat(turn.getDouble("firstAudioAt")).as("agent voice starts after the customer stopped")
                        .isGreaterThan(turn.getDouble("endOfSpeechAt"));
                assertThat(traces.decisions(page.sessionId())).as("turn-taking decisions traced on omni.events")
                        .anyMatch(e -> e.getType().name().equals("END_OF_TURN") && TraceCollector.decidedMicros(e) > 0);
            }
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }
}
