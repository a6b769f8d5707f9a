package io.omnistream.connectors.edge;

import static io.omnistream.connectors.edge.JavaClientEdgeITCase.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.connectors.kafka.serde.Decoded;
import io.omnistream.connectors.kafka.validation.MediaValidationConfig;
import io.omnistream.connectors.kafka.validation.MediaValidationFunction;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.ControlType;
import io.omnistream.schemas.LatencyTrace;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.MediaKind;
import io.omnistream.schemas.OmniEvent;
import io.omnistream.schemas.SessionControl;
import io.omnistream.schemas.Transcript;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/**
 * The web page survives its edge dying. An edge runs as its own JVM (as in production) with a fleet signing key;
 * real headless Chromium joins through the page with microphone, camera and screen share; the edge process is
 * killed with SIGKILL (no {@code bye}, no ENDED: sockets reset, the peer goes silent) and a new edge starts on the
 * same port with the same key. The page shows that it is reconnecting, resumes with its latest resume token, and the
 * SAME session continues: same session id at the new edge (resumed, not admitted as new), media of every track in
 * Kafka again with sequence numbers and capture clock moving on, captions, the latency table and the agent's voice
 * still working on the page. Then the network drops the page's signaling socket while the edge stays up without
 * noticing (a {@link DroppingTcpProxy} between page and edge resets only the browser's side): the page resumes on
 * the same edge, retrying while the edge still holds the old connection. Finally the session's audio, replayed
 * through the pipeline's {@link MediaValidationFunction}, survives both resumes.
 */
class ChromiumEdgeRestartITCase {
    private static final String SECRET = "edge-restart-test-" + UUID.randomUUID();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** Longer than the default 60 s: on a CI machine shared by many builds, restarting an edge can take a while. */
    private static final Duration RESUME_WINDOW = Duration.ofSeconds(180);

    /** The edge that gets killed: its own JVM, exits when the test JVM's pipe to it closes. */
    public static final class EdgeProcess {
        public static void main(String[] args) throws Exception {
            EdgeServer edge = EdgeServer.start(EdgeConfig.builder().host("127.0.0.1").port(Integer.parseInt(args[1]))
                    .bootstrapServers(args[0]).jwtSecret(args[2]).edgeId("edge-killed").resumeWindow(RESUME_WINDOW)
                    .build());
            System.out.println("edge.url=" + edge.url());
            System.out.flush();
            while (System.in.read() != -1) {
                // the parent keeps the pipe open; EOF means it is gone
            }
            Runtime.getRuntime().halt(0);
        }
    }

    @Test
    void pageResumesTheSameSessionOnANewEdgeAfterItsEdgeProcessIsKilled() throws Exception {
        assumeTrue(Files.isExecutable(ChromiumBrowser.CHROMIUM), "Debian chromium is installed by deploy/local/setup.sh");
        Path work = Files.createTempDirectory(TestMedia.targetDir(), "edge-restart-");
        Path wav = TestMedia.speechWav48k();
        Path y4m = TestMedia.astronautY4m();
        String bootstrap = EdgeTestKafka.bootstrap();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process first = startEdgeProcess(work, bootstrap, port);
        EdgeServer second = null;
        ChromiumBrowser browserRef = null;
        try (DroppingTcpProxy network = new DroppingTcpProxy(port);
                EdgeTestKafka.Collector kafka = new EdgeTestKafka.Collector();
                KafkaProducer<String, byte[]> producer = EdgeTestKafka.producer();
                ChromiumBrowser browser = new ChromiumBrowser("http://127.0.0.1:" + network.port() + "/", wav, y4m, work)) {
            browserRef = browser;
            String url = "http://127.0.0.1:" + port + "/";
            await(() -> health(url).getBoolean("returnPathAssigned", false), Duration.ofSeconds(30),
                    "first edge's return path assigned");
            await(() -> Boolean.TRUE.equals(quietly(browser, "typeof window.omni === 'object'")), Duration.ofSeconds(30),
                    "page loaded");
            browser.eval("""
                    (async () => {
                      const c = document.createElement('canvas'); c.width = 640; c.height = 360;
                      const g = c.getContext('2d'); let n = 0;
                      const draw = () => { g.fillStyle = '#fff'; g.fillRect(0, 0, 640, 360); g.fillStyle = '#000';
                        g.font = '32px sans-serif'; g.fillText('Ticket ' + (100 + n++), 40, 120); };
                      draw(); setInterval(draw, 1000);
                      await omni.join({ screenTrack: c.captureStream(5).getVideoTracks()[0] });
                      return true;
                    })()""");
            await(() -> "connected".equals(quietly(browser, "omni.state")), Duration.ofSeconds(40),
                    () -> "page connected: " + quietly(browser, "omni.state + ' ' + JSON.stringify(omni.errors)"));
            String sid = (String) browser.eval("omni.sessionId");
            await(() -> kafka.media(sid, MediaKind.AUDIO).size() >= 100, Duration.ofSeconds(30), "2 s of audio");
            await(() -> kafka.media(sid, MediaKind.CAMERA).size() >= 5, Duration.ofSeconds(15), "camera frames");
            await(() -> !kafka.media(sid, MediaKind.SCREEN).isEmpty(), Duration.ofSeconds(15), "a screen frame");

            // the page shows what the pipeline sends through the first edge
            EdgeTestKafka.sendEvent(producer, caption(sid, 1, "my order did not arrive"));
            EdgeTestKafka.sendEvent(producer, OmniEvent.newBuilder().setSessionId(sid).setPayload(LatencyTrace.newBuilder()
                    .setSessionId(sid).setTraceId("t1").setTurnId(1)
                    .setStages(Map.of("edge.in", 1_000_000L, "edge.out", 1_180_000L)).build()).build());
            await(() -> Boolean.TRUE.equals(quietly(browser, "omni.captions.includes('my order did not arrive')")),
                    Duration.ofSeconds(15), "caption before the restart");
            await(() -> num(browser, "document.querySelectorAll('#latency tbody tr').length") == 1,
                    Duration.ofSeconds(10), "latency row before the restart");
            assertThat(quietly(browser, "omni.hasResumeToken")).isEqualTo(true);

            // kill -9: no bye, no ENDED
            first.destroyForcibly();
            first.waitFor();
            long killedAt = System.currentTimeMillis() * 1000; // nothing of the first edge can arrive after this
            await(() -> "reconnecting".equals(quietly(browser, "omni.state")), Duration.ofSeconds(15),
                    () -> "page noticed the loss: " + quietly(browser, "omni.state"));
            assertThat((String) browser.eval("document.querySelector('#state').textContent")).startsWith("reconnecting…");
            assertThat((String) browser.eval("document.querySelector('#connection').textContent"))
                    .contains("Reconnecting");
            Thread.sleep(1500); // the page keeps trying (connection refused) while no edge listens
            assertThat(quietly(browser, "omni.state")).isEqualTo("reconnecting");

            second = EdgeServer.start(EdgeConfig.builder().host("127.0.0.1").port(port).bootstrapServers(bootstrap)
                    .jwtSecret(SECRET).edgeId("edge-restarted").iceDisconnectGrace(Duration.ofSeconds(3))
                    .resumeWindow(RESUME_WINDOW).build());
            EdgeServer edge = second;
            await(edge::returnPathReady, Duration.ofSeconds(30), "new edge's return path assigned");
            await(() -> "connected".equals(quietly(browser, "omni.state"))
                    && num(browser, "omni.reconnects.length") == 1, RESUME_WINDOW,
                    () -> "page resumed: " + quietly(browser, "omni.state + ' ' + JSON.stringify(omni.reconnects) + ' '"
                            + " + JSON.stringify(omni.errors)"));

            // the same session continues at the new edge: resumed, not admitted as a new one
            assertThat(browser.eval("omni.sessionId")).isEqualTo(sid);
            assertThat(edge.metrics().sessionsResumed()).isEqualTo(1);
            assertThat(edge.metrics().sessionsStarted.count()).isEqualTo(1);
            assertThat(edge.activeSessions()).isEqualTo(1);
            assertThat(edge.queuedAgentFrames(sid)).as("the new edge hosts session " + sid).isGreaterThanOrEqualTo(0);
            List<SessionControl> started = kafka.control.stream().filter(c -> c.getType() == ControlType.STARTED).toList();
            assertThat(started).allSatisfy(c -> assertThat(c.getSessionId()).isEqualTo(sid));
            assertThat(started).extracting(SessionControl::getReason).containsExactly(null, "resumed");
            assertThat(kafka.control(sid)).noneMatch(c -> c.getType() == ControlType.ENDED);

            // media of every track flows again, numbered and clocked after what came before
            await(() -> after(kafka.media(sid, MediaKind.AUDIO), killedAt).size() >= 100, Duration.ofSeconds(30),
                    "2 s of audio after the resume");
            await(() -> after(kafka.media(sid, MediaKind.CAMERA), killedAt).size() >= 5, Duration.ofSeconds(20),
                    "camera frames after the resume");
            await(() -> !after(kafka.media(sid, MediaKind.SCREEN), killedAt).isEmpty(), Duration.ofSeconds(20),
                    "a screen frame after the resume");
            for (MediaKind kind : MediaKind.values()) {
                List<MediaChunk> all = kafka.media(sid, kind);
                List<MediaChunk> before = all.stream().filter(c -> c.getArrivalTimeMicros() < killedAt).toList();
                List<MediaChunk> resumed = after(all, killedAt);
                long lastSeq = before.stream().mapToLong(MediaChunk::getSeq).max().orElseThrow();
                long lastClock = before.stream().mapToLong(MediaChunk::getCaptureTimeMicros).max().orElseThrow();
                long firstClock = resumed.stream().mapToLong(MediaChunk::getCaptureTimeMicros).min().orElseThrow();
                assertThat(resumed).as(kind + " after the resume").allSatisfy(c -> {
                    assertThat(c.getSeq()).isGreaterThan(lastSeq);
                    assertThat(c.getCaptureTimeMicros()).isGreaterThan(lastClock);
                });
                if (kind == MediaKind.AUDIO) {
                    System.out.printf("RESULT chromium-edge-restart: page resumed %s; audio clock step %d ms%n",
                            browser.eval("JSON.stringify(omni.reconnects)"), (firstClock - lastClock) / 1000);
                }
            }

            // the page kept its history and still shows and plays what comes back
            EdgeTestKafka.sendEvent(producer, caption(sid, 2, "it arrived after all"));
            await(() -> Boolean.TRUE.equals(quietly(browser, "omni.captions.includes('it arrived after all')")),
                    Duration.ofSeconds(15), "caption after the restart");
            assertThat(browser.eval("JSON.stringify(omni.captions)"))
                    .isEqualTo("[\"my order did not arrive\",\"it arrived after all\"]");
            assertThat((String) browser.eval("document.querySelector('#captions').textContent"))
                    .contains("my order did not arrive").contains("it arrived after all");
            assertThat(num(browser, "document.querySelectorAll('#latency tbody tr').length")).isEqualTo(1);
            browser.eval("omni.maxAgentLevel = 0");
            byte[] tone = TestMedia.tone(24000, 440, 1.0, 0.5);
            EdgeTestKafka.sendAgent(producer, AgentResponse.newBuilder().setSessionId(sid).setResponseId("after-restart")
                    .setTurnId(2).setSeq(0).setTextDelta("Glad to hear it.").setAudio(ByteBuffer.wrap(tone))
                    .setAudioSampleRate(24000).setIsFinal(true).build());
            await(() -> num(browser, "omni.maxAgentLevel") > 0.05, Duration.ofSeconds(15),
                    () -> "agent voice heard after the restart: level " + quietly(browser, "omni.maxAgentLevel")
                            + ", edge played " + edge.metrics().agentFramesPlayed());
            assertThat(quietly(browser, "omni.answers.join('')")).isEqualTo("Glad to hear it.");

            // the network drops the signaling socket while the edge stays up, and the edge does not notice (its side
            // stays open): the page resumes on the same edge once the edge has given up the silent peer
            long droppedAt = System.currentTimeMillis() * 1000;
            network.dropClientSide();
            await(() -> "connected".equals(quietly(browser, "omni.state"))
                    && num(browser, "omni.reconnects.length") == 2, RESUME_WINDOW,
                    () -> "page resumed after the drop: " + quietly(browser, "omni.state + ' '"
                            + " + JSON.stringify(omni.reconnects) + ' ' + JSON.stringify(omni.errors)"));
            System.out.printf("RESULT chromium-signaling-drop: page resumed %s; edge refused %s resume attempts%n",
                    browser.eval("JSON.stringify(omni.reconnects[1])"),
                    edge.metrics().errorCount(SignalingError.BAD_RESUME));
            assertThat(browser.eval("omni.sessionId")).isEqualTo(sid);
            assertThat(edge.metrics().sessionsResumed()).isEqualTo(2);
            assertThat(edge.metrics().sessionsStarted.count()).as("no new session").isEqualTo(2);
            long lastAudioBeforeDrop = kafka.media(sid, MediaKind.AUDIO).stream()
                    .filter(c -> c.getArrivalTimeMicros() < droppedAt).mapToLong(MediaChunk::getCaptureTimeMicros)
                    .max().orElseThrow();
            await(() -> kafka.media(sid, MediaKind.AUDIO).stream()
                    .filter(c -> c.getCaptureTimeMicros() > lastAudioBeforeDrop + 1_000_000).count() >= 50,
                    Duration.ofSeconds(30), "audio after the drop");
            assertThat(kafka.control.stream().filter(c -> c.getType() == ControlType.STARTED).toList())
                    .allSatisfy(c -> assertThat(c.getSessionId()).isEqualTo(sid))
                    .extracting(SessionControl::getReason).containsExactly(null, "resumed", "resumed");

            // the pipeline's media validation keeps the session through both resumes: the clock steps forward by a
            // few seconds (more when the new peer takes long to connect on a busy machine); a step beyond its window
            // costs at most the chunks it needs to re-anchor
            MediaValidationConfig validation = MediaValidationConfig.defaults();
            List<MediaChunk> audio = kafka.media(sid, MediaKind.AUDIO);
            int rejected = audio.size() - validate(audio, validation).size();
            System.out.printf("RESULT chromium-edge-resume-validation: %d of %d audio chunks rejected%n", rejected,
                    audio.size());
            assertThat(rejected).isLessThan(2 * validation.clockReanchorChunks());

            browser.eval("omni.leave()");
            await(() -> kafka.control(sid).stream().anyMatch(c -> c.getType() == ControlType.ENDED
                    && "left".equals(c.getReason())), Duration.ofSeconds(15), "ENDED (left) published");
            List<SessionControl> ended = kafka.control(sid).stream().filter(c -> c.getType() == ControlType.ENDED).toList();
            System.out.println("RESULT chromium-edge-restart: ENDED reasons "
                    + ended.stream().map(SessionControl::getReason).toList());
            assertThat(ended).extracting(SessionControl::getReason).endsWith("left");
            await(() -> edge.activeSessions() == 0 && edge.disposingSessions() == 0, Duration.ofSeconds(15),
                    "session gone");
        } finally {
            first.destroyForcibly();
            if (second != null) {
                second.close();
            }
        }
        ChromiumBrowser b = browserRef;
        await(() -> !b.anyAlive(), Duration.ofSeconds(10), "every Chromium process killed");
    }

    private static Process startEdgeProcess(Path work, String bootstrap, int port) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Path log = work.resolve("edge-process.log");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "-Domni.project.root=" + TestMedia.projectRoot(),
                EdgeProcess.class.getName(), bootstrap, Integer.toString(port), SECRET));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.readString(log).contains("edge.url=")) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IllegalStateException("edge process did not start; see " + log + ":\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
        return p;
    }

    /** The audio as the job's validation operator sees it (in the order it was published). */
    private static List<MediaChunk> validate(List<MediaChunk> chunks, MediaValidationConfig cfg) throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, Decoded<MediaChunk>, MediaChunk> h =
                new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new MediaValidationFunction(cfg)),
                        MediaValidationFunction.sessionKey(), Types.STRING)) {
            h.open();
            long offset = 0;
            for (MediaChunk c : chunks) {
                h.processElement(new StreamRecord<>(Decoded.ok(c, OmniTopics.MEDIA_AUDIO, 0, offset++), 0L));
            }
            return h.extractOutputValues();
        }
    }

    private static JsonObject health(String url) {
        try {
            return new JsonObject(HTTP.send(HttpRequest.newBuilder(URI.create(url + "health")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
        } catch (Exception e) {
            return new JsonObject();
        }
    }

    private static OmniEvent caption(String sid, long turn, String text) {
        return OmniEvent.newBuilder().setSessionId(sid).setPayload(Transcript.newBuilder().setSessionId(sid)
                .setTurnId(turn).setSeq(0).setText(text).setIsFinal(true).build()).build();
    }

    private static List<MediaChunk> after(List<MediaChunk> chunks, long killedAtMicros) {
        return chunks.stream().filter(c -> c.getArrivalTimeMicros() >= killedAtMicros).toList();
    }

    private static Object quietly(ChromiumBrowser b, String js) {
        try {
            return b.eval(js);
        } catch (Exception e) {
            return null;
        }
    }

    private static double num(ChromiumBrowser b, String js) {
        return quietly(b, js) instanceof Number n ? n.doubleValue() : -1;
    }
}
