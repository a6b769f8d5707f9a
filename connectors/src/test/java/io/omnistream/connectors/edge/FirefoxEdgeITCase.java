package io.omnistream.connectors.edge;

import static io.omnistream.connectors.edge.JavaClientEdgeITCase.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.ControlType;
import io.omnistream.schemas.MediaKind;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/**
 * The web client in real headless Firefox (Debian firefox-esr, installed by deploy/local/setup.sh) with Firefox's
 * fake microphone, camera and a canvas screen share: it joins through the page, its media lands in Kafka, and an
 * agent answer put on Kafka is shown in the page and its voice is decoded there.
 */
class FirefoxEdgeITCase {

    @Test
    void firefoxJoinsThroughThePageSendsMediaAndSeesAndHearsTheAgent() throws Exception {
        assumeTrue(Files.isExecutable(FirefoxBrowser.FIREFOX), "Debian firefox-esr is installed by deploy/local/setup.sh");
        Path work = TestMedia.targetDir();
        EdgeConfig cfg = EdgeConfig.builder().host("127.0.0.1").port(0).bootstrapServers(EdgeTestKafka.bootstrap()).build();
        FirefoxBrowser browserRef = null;
        try (EdgeServer edge = EdgeServer.start(cfg);
                EdgeTestKafka.Collector kafka = new EdgeTestKafka.Collector();
                KafkaProducer<String, byte[]> producer = EdgeTestKafka.producer();
                FirefoxBrowser browser = new FirefoxBrowser(edge.url(), work)) {
            browserRef = browser;
            await(edge::returnPathReady, Duration.ofSeconds(30), "return path assigned");
            await(() -> Boolean.TRUE.equals(quietly(browser, "typeof window.omni === 'object'")), Duration.ofSeconds(30), "page loaded");
            browser.eval("""
                    (async () => {
                      const c = document.createElement('canvas'); c.width = 1280; c.height = 720;
                      const g = c.getContext('2d'); let n = 0;
                      const draw = () => { g.fillStyle = '#fff'; g.fillRect(0, 0, 1280, 720); g.fillStyle = '#000';
                        g.font = '48px sans-serif'; g.fillText('Error E-' + (4000 + n++), 100, 200); };
                      draw(); setInterval(draw, 1000);
                      await omni.join({ screenTrack: c.captureStream(5).getVideoTracks()[0] });
                      return omni.sessionId;
                    })()""");
            await(() -> "connected".equals(quietly(browser, "omni.state")), Duration.ofSeconds(40),
                    () -> "page connected, state " + quietly(browser, "omni.state + ' ' + JSON.stringify(omni.errors)"));
            String sid = (String) browser.eval("omni.sessionId");

            await(() -> kafka.media(sid, MediaKind.AUDIO).size() >= 100, Duration.ofSeconds(30), "2 s of Firefox audio");
            await(() -> kafka.media(sid, MediaKind.CAMERA).size() >= 10, Duration.ofSeconds(15), "camera frames");
            await(() -> kafka.media(sid, MediaKind.SCREEN).size() >= 2, Duration.ofSeconds(15), "screen frames");
            MediaChecks.assertAudio(kafka.media(sid, MediaKind.AUDIO), false);
            MediaChecks.assertVideo(kafka.media(sid, MediaKind.CAMERA), 320, 240, 15);
            MediaChecks.assertVideo(kafka.media(sid, MediaKind.SCREEN), 1280, 720, 2);
            assertThat(kafka.control(sid)).extracting(c -> c.getType()).contains(ControlType.STARTED);

            byte[] tone = TestMedia.tone(24000, 440, 1.5, 0.5);
            int part = tone.length / 2 & ~1;
            for (int seq = 0; seq < 2; seq++) {
                EdgeTestKafka.sendAgent(producer, AgentResponse.newBuilder().setSessionId(sid).setResponseId("ff-1").setTurnId(1)
                        .setSeq(seq).setTextDelta(seq == 0 ? "Your refund " : "is on its way.")
                        .setAudio(ByteBuffer.wrap(Arrays.copyOfRange(tone, seq * part, seq == 1 ? tone.length : part)))
                        .setAudioSampleRate(24000).setIsFinal(seq == 1).build());
            }
            await(() -> "Your refund is on its way.".equals(quietly(browser, "omni.answers.join('')")),
                    Duration.ofSeconds(15), "answer shown in Firefox");
            // Headless Firefox here has no audio output device, so its WebAudio graph does not run (cubeb cannot
            // open a stream); the page's analyser stays at 0. The decoded energy of the agent's track at the
            // receiver (WebRTC stats) shows the voice arrived and was decoded in Firefox.
            await(() -> number(browser, """
                    (async () => { let e = 0; (await omni.pc.getStats()).forEach((r) => {
                      if (r.type === 'inbound-rtp' && r.kind === 'audio') e = Math.max(e, r.totalAudioEnergy || 0); });
                      return e; })()""") > 0.001, Duration.ofSeconds(15),
                    () -> "agent voice decoded in Firefox: energy " + quietly(browser, "(async () => { const o = [];"
                            + " (await omni.pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp') o.push(r); });"
                            + " return JSON.stringify(o); })()"));

            browser.eval("omni.leave()");
            await(() -> kafka.control(sid).stream().anyMatch(c -> c.getType() == ControlType.ENDED),
                    Duration.ofSeconds(15), "ENDED published");
        }
        FirefoxBrowser b = browserRef;
        await(() -> !b.anyAlive(), Duration.ofSeconds(10), "every Firefox process killed");
    }

    private static Object quietly(FirefoxBrowser b, String js) {
        try {
            return b.eval(js);
        } catch (Exception e) {
            return null;
        }
    }

    private static double number(FirefoxBrowser b, String js) {
        return quietly(b, js) instanceof Number n ? n.doubleValue() : 0;
    }
}
