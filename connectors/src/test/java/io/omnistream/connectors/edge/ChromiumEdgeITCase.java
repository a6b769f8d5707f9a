package io.omnistream.connectors.edge;

import static io.omnistream.connectors.edge.JavaClientEdgeITCase.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.ControlType;
import io.omnistream.schemas.MediaKind;
import io.omnistream.schemas.OmniEvent;
import io.omnistream.schemas.Transcript;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/**
 * The real web client in real headless Chromium: fake microphone fed by a speech recording, fake camera fed by a
 * Y4M clip of the astronaut photo, a canvas {@code captureStream()} as the screen share. The test joins through
 * the page, checks what lands in Kafka, then puts an agent answer on {@code omni.agent} and checks the page shows
 * the text and plays audible audio (WebAudio analyser in the page, read over CDP).
 */
class ChromiumEdgeITCase {

    @Test
    void browserJoinsThroughThePageAndSeesAndHearsTheAgent() throws Exception {
        assumeTrue(Files.isExecutable(ChromiumBrowser.CHROMIUM), "Debian chromium is installed by deploy/local/setup.sh");
        Path work = TestMedia.targetDir();
        Path wav = TestMedia.speechWav48k();
        Path y4m = TestMedia.astronautY4m();
        EdgeConfig cfg = EdgeConfig.builder().host("127.0.0.1").port(0).bootstrapServers(EdgeTestKafka.bootstrap())
                .build();
        ChromiumBrowser browserRef = null;
        try (EdgeServer edge = EdgeServer.start(cfg);
                EdgeTestKafka.Collector kafka = new EdgeTestKafka.Collector();
                KafkaProducer<String, byte[]> producer = EdgeTestKafka.producer();
                ChromiumBrowser browser = new ChromiumBrowser(edge.url(), wav, y4m, work)) {
            browserRef = browser;
            await(edge::returnPathReady, Duration.ofSeconds(30), "return path assigned");
            await(() -> evalQuietly(browser, "typeof window.omni === 'object'"), Duration.ofSeconds(30), "page loaded");
            // a 1280x720 canvas as the screen share; its text changes every second
            browser.eval("""
                    (async () => {
                      const c = document.createElement('canvas'); c.width = 1280; c.height = 720;
                      const g = c.getContext('2d'); let n = 0;
                      const draw = () => { g.fillStyle = '#fff'; g.fillRect(0, 0, 1280, 720); g.fillStyle = '#000';
                        g.font = '48px sans-serif'; g.fillText('Error E-' + (4000 + n++) + ' in checkout', 100, 200); };
                      draw(); setInterval(draw, 1000);
                      const track = c.captureStream(5).getVideoTracks()[0];
                      await omni.join({ screenTrack: track });
                      return omni.sessionId;
                    })()""");
            await(() -> "connected".equals(evalQuietlyValue(browser, "omni.state")), Duration.ofSeconds(40),
                    () -> "page connected, state " + evalQuietlyValue(browser, "omni.state + ' ' + JSON.stringify(omni.errors)"));
            String sid = (String) browser.eval("omni.sessionId");

            await(() -> kafka.media(sid, MediaKind.AUDIO).size() >= 150, Duration.ofSeconds(30), "3 s of browser audio");
            await(() -> kafka.media(sid, MediaKind.SCREEN).size() >= 2, Duration.ofSeconds(15), "screen frames");
            await(() -> kafka.media(sid, MediaKind.CAMERA).size() >= 10, Duration.ofSeconds(15), "camera frames");
            MediaChecks.assertAudio(kafka.media(sid, MediaKind.AUDIO), true);
            MediaChecks.assertVideo(kafka.media(sid, MediaKind.CAMERA), 320, 240, 15);
            MediaChecks.assertVideo(kafka.media(sid, MediaKind.SCREEN), 1280, 720, 2);
            assertThat(kafka.media(sid, MediaKind.CAMERA).get(0).getWidth()).isEqualTo(320); // 640x480 scaled down
            assertThat(kafka.control(sid)).extracting(c -> c.getType()).contains(ControlType.STARTED);

            byte[] tone = TestMedia.tone(24000, 440, 1.5, 0.5);
            int part = tone.length / 3 & ~1;
            for (int seq = 0; seq < 3; seq++) {
                AgentResponse r = AgentResponse.newBuilder().setSessionId(sid).setResponseId("answer-1").setTurnId(1)
                        .setSeq(seq).setTextDelta(seq == 0 ? "Your order " : seq == 1 ? "ships today." : null)
                        .setAudio(ByteBuffer.wrap(Arrays.copyOfRange(tone, seq * part, seq == 2 ? tone.length : (seq + 1) * part)))
                        .setAudioSampleRate(24000).setIsFinal(seq == 2).build();
                EdgeTestKafka.sendAgent(producer, r);
                EdgeTestKafka.sendAgent(producer, r); // at-least-once duplicate
            }
            EdgeTestKafka.sendEvent(producer, OmniEvent.newBuilder().setSessionId(sid).setPayload(Transcript.newBuilder()
                    .setSessionId(sid).setTurnId(1).setSeq(0).setText("where is my order").setIsFinal(true).build()).build());

            await(() -> "Your order ships today.".equals(evalQuietlyValue(browser, "omni.answers.join('')")),
                    Duration.ofSeconds(15), () -> "answer shown: " + evalQuietlyValue(browser, "JSON.stringify(omni.events)"));
            await(() -> "Your order ships today.".equals(evalQuietlyValue(browser,
                    "document.querySelector('#answers').textContent")), Duration.ofSeconds(5), "answer in the DOM");
            await(() -> Boolean.TRUE.equals(evalQuietlyValue(browser, "omni.captions.includes('where is my order')")),
                    Duration.ofSeconds(10), "caption shown");
            await(() -> evalNumber(browser, "omni.maxAgentLevel") > 0.05, Duration.ofSeconds(15),
                    () -> "agent voice heard in the page: level " + evalQuietlyValue(browser, "omni.maxAgentLevel")
                            + ", edge played " + edge.metrics().agentFramesPlayed());
            assertThat(edge.metrics().agentDuplicates()).isGreaterThanOrEqualTo(3);

            browser.eval("omni.leave()");
            await(() -> kafka.control(sid).stream().anyMatch(c -> c.getType() == ControlType.ENDED),
                    Duration.ofSeconds(15), "ENDED published");
            await(() -> edge.activeSessions() == 0 && edge.disposingSessions() == 0, Duration.ofSeconds(15), "session gone");
        }
        ChromiumBrowser b = browserRef;
        await(() -> !b.anyAlive(), Duration.ofSeconds(10), "every Chromium process killed");
    }

    private static boolean evalQuietly(ChromiumBrowser b, String js) {
        return Boolean.TRUE.equals(evalQuietlyValue(b, js));
    }

    private static Object evalQuietlyValue(ChromiumBrowser b, String js) {
        try {
            return b.eval(js);
        } catch (Exception e) {
            return null;
        }
    }

    private static double evalNumber(ChromiumBrowser b, String js) {
        Object v = evalQuietlyValue(b, js);
        return v instanceof Number n ? n.doubleValue() : 0;
    }
}
