package io.omnistream.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.connectors.edge.client.EdgeClient;
import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.SessionControl;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The edge dies under a live customer: a webrtc-java client streams audio through the edge process into the real
 * broker and the real job on the local cluster; the edge is killed with SIGKILL and started again on the same port
 * (as a supervisor or Kubernetes would). The client notices, reconnects by itself with its resume token, and the
 * SAME session continues: its audio keeps landing in Kafka with the capture clock and sequence numbers moving on,
 * and the job keeps emitting frames for it. Prints the reconnect time for load-tests/RESULTS.md. In the
 * {@code -Pfaults} profile (it takes over a minute on a busy machine).
 */
@Tag("faults")
class EdgeKillITCase {
    private static final String SECRET = "edge-kill-" + UUID.randomUUID();
    private static ClusterFixture fixture;
    private static Process edge;
    private static int edgePort;
    private static int edgeStarts;

    @BeforeAll
    static void startCluster() throws Exception {
        fixture = new ClusterFixture("edge-kill", 1, 2).start();
        try (ServerSocket s = new ServerSocket(0)) {
            edgePort = s.getLocalPort();
        }
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (edge != null) {
            edge.destroy();
            edge.waitFor();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void clientReconnectsAfterTheEdgeIsKilledAndItsSessionContinues() throws Exception {
        LocalFlinkCluster cluster = fixture.cluster;
        String bootstrap = cluster.kafkaBootstrap();
        String job = fixture.submit(1, null);
        fixture.awaitRunning(job, Duration.ofSeconds(90));
        String url = startEdge(bootstrap);

        try (TopicWatch<MediaChunk> audio = new TopicWatch<>(bootstrap, OmniTopics.MEDIA_AUDIO, MediaChunk.class, false);
                TopicWatch<SessionControl> control = new TopicWatch<>(bootstrap, OmniTopics.CONTROL, SessionControl.class, false);
                TopicWatch<PerceptionFrame> frames = new TopicWatch<>(bootstrap, ClusterFixture.FRAMES, PerceptionFrame.class, true);
                EdgeClient client = EdgeClient.connect(url, EdgeClient.Options.audioOnly(voiceLike48k()),
                        Duration.ofSeconds(60))) {
            String sid = client.sessionId();
            await(() -> audio.of(sid, MediaChunk::getSessionId).size() >= 150, Duration.ofSeconds(60), "3 s of audio");
            // the first transactional writes wait for the broker's transaction log to be created
            await(() -> frames.of(sid, PerceptionFrame::getSessionId).size() >= 20, Duration.ofSeconds(120),
                    "frames for the session out of the job");

            long killedAt = System.currentTimeMillis();
            edge.destroyForcibly(); // SIGKILL: no ENDED, no bye, sockets reset
            edge.waitFor();
            Thread.sleep(1000); // what the dead edge had sent is consumed
            List<MediaChunk> before = audio.of(sid, MediaChunk::getSessionId).stream()
                    .filter(c -> c.getArrivalTimeMicros() / 1000 < killedAt).toList();
            long lastCaptureBefore = before.stream().mapToLong(MediaChunk::getCaptureTimeMicros).max().orElseThrow();
            long lastSeqBefore = before.stream().mapToLong(MediaChunk::getSeq).max().orElseThrow();
            long lastTickBefore = frames.of(sid, PerceptionFrame::getSessionId).stream()
                    .mapToLong(PerceptionFrame::getTickEndMicros).max().orElseThrow();
            await(client::reconnecting, Duration.ofSeconds(10), "the client noticed the loss");

            long restartAt = System.currentTimeMillis();
            startEdge(bootstrap);
            long edgeUpAt = System.currentTimeMillis();
            await(() -> !client.reconnectTimes().isEmpty() || client.endedReason() != null, Duration.ofSeconds(60),
                    () -> "reconnected: " + client.signalingErrors());
            assertThat(client.endedReason()).as("session continued, errors " + client.signalingErrors()).isNull();
            assertThat(client.sessionId()).isEqualTo(sid);
            Duration reconnect = client.reconnectTimes().get(0);
            long resumedAt = System.currentTimeMillis();

            // the same session's audio flows again, with its clock and sequence numbers moving on
            await(() -> audio.of(sid, MediaChunk::getSessionId).stream()
                    .filter(c -> c.getCaptureTimeMicros() > lastCaptureBefore).count() >= 150,
                    Duration.ofSeconds(60), "3 s of audio after the resume");
            List<MediaChunk> after = audio.of(sid, MediaChunk::getSessionId).stream()
                    .filter(c -> c.getArrivalTimeMicros() / 1000 >= killedAt).toList();
            assertThat(audio.of(sid, MediaChunk::getSessionId)).as("every chunk is from before the kill or after it")
                    .hasSize(before.size() + after.size());
            assertThat(after).isNotEmpty().allSatisfy(c -> {
                assertThat(c.getCaptureTimeMicros()).isGreaterThan(lastCaptureBefore);
                assertThat(c.getSeq()).isGreaterThan(lastSeqBefore);
            });
            long firstArrivalAfter = after.stream().mapToLong(MediaChunk::getArrivalTimeMicros).min().orElseThrow() / 1000;
            assertThat(control.of(sid, SessionControl::getSessionId)).anySatisfy(c -> {
                assertThat(c.getType().name()).isEqualTo("STARTED");
                assertThat(c.getReason()).isEqualTo("resumed");
            });

            // and the job keeps emitting frames for it, past the moment of the kill
            await(() -> frames.of(sid, PerceptionFrame::getSessionId).stream()
                    .filter(f -> f.getTickStartMicros() > lastCaptureBefore).count() >= 50, Duration.ofSeconds(90),
                    () -> "frames of the resumed audio: " + describe(frames.of(sid, PerceptionFrame::getSessionId),
                            audio.of(sid, MediaChunk::getSessionId), lastCaptureBefore, killedAt));
            List<PerceptionFrame> sessionFrames = frames.of(sid, PerceptionFrame::getSessionId);
            assertThat(sessionFrames.stream().map(PerceptionFrame::getTickIndex).distinct().count())
                    .as("no tick twice").isEqualTo(sessionFrames.size());
            long firstFrameAfter = sessionFrames.stream().filter(f -> f.getTickStartMicros() > lastCaptureBefore)
                    .mapToLong(PerceptionFrame::getEmitTimeMicros).min().orElseThrow() / 1000;
            int lateAfter = sessionFrames.stream().filter(f -> f.getTickStartMicros() > lastCaptureBefore)
                    .mapToInt(PerceptionFrame::getLateChunks).sum();
            assertThat(lateAfter).as("resumed audio is not late for the aligner").isZero();
            assertThat(lastTickBefore).isLessThan(sessionFrames.stream().mapToLong(PerceptionFrame::getTickEndMicros)
                    .max().orElseThrow());

            System.out.printf("RESULT edge-kill: edgeRestart=%d ms (JVM start to listening) clientReconnect=%d ms "
                    + "(loss to resumed peer connected; includes the edge restart) afterEdgeUp=%d ms "
                    + "firstAudioInKafka=%d ms firstFrameOut=%d ms after the kill; clockJump=%d ms%n",
                    edgeUpAt - restartAt, reconnect.toMillis(), resumedAt - edgeUpAt, firstArrivalAfter - killedAt,
                    firstFrameAfter - killedAt, (after.get(0).getCaptureTimeMicros() - lastCaptureBefore) / 1000);
        }
    }

    private static String describe(List<PerceptionFrame> frames, List<MediaChunk> audio, long lastCaptureBefore,
            long killedAt) {
        List<PerceptionFrame> late = frames.stream().filter(f -> f.getEmitTimeMicros() / 1000 > killedAt).toList();
        return "lastCaptureBefore=" + lastCaptureBefore + " frames=" + frames.size() + " emittedAfterKill=" + late.size()
                + (late.isEmpty() ? "" : " ticks " + late.get(0).getTickIndex() + ".." + late.get(late.size() - 1).getTickIndex()
                        + " starts " + late.get(0).getTickStartMicros() + ".." + late.get(late.size() - 1).getTickStartMicros()
                        + " late " + late.stream().mapToInt(PerceptionFrame::getLateChunks).sum())
                + " lastFrameBefore=" + frames.stream().filter(f -> f.getEmitTimeMicros() / 1000 <= killedAt)
                        .mapToLong(PerceptionFrame::getTickStartMicros).max().orElse(-1)
                + " audio=" + audio.size() + " captures " + audio.get(0).getCaptureTimeMicros() + ".."
                + audio.get(audio.size() - 1).getCaptureTimeMicros();
    }

    /** Starts the edge as its own process (like {@code omni cluster up}) with a fleet key, on the fixed port. */
    private static String startEdge(String bootstrap) throws IOException, InterruptedException {
        LocalFlinkCluster cluster = fixture.cluster;
        Path log = cluster.logDir().resolve("edge-" + (++edgeStarts) + ".out");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseG1GC"));
        cmd.addAll(LocalFlinkCluster.moduleOptions());
        cmd.add("-Domni.project.root=" + Path.of(System.getProperty("omni.project.root", "..")).toAbsolutePath());
        cmd.add("@" + cluster.confDir().resolve("classpath.args"));
        cmd.addAll(List.of(EdgeProcess.class.getName(), "--kafka-bootstrap", bootstrap, "--port",
                Integer.toString(edgePort), "--host", "127.0.0.1"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("OMNI_EDGE_JWT_SECRET", SECRET);
        edge = pb.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            String out = Files.readString(log);
            int i = out.indexOf("edge.url=");
            if (i >= 0 && out.indexOf('\n', i) > 0) {
                return out.substring(i + "edge.url=".length(), out.indexOf('\n', i)).trim();
            }
            if (!edge.isAlive()) {
                throw new IllegalStateException("edge exited; see " + log);
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("edge did not start within 60 s; see " + log);
    }

    /** A 48 kHz voice-like signal (a 150 Hz harmonic series, syllable-rate envelope) for 5 s, looped by the client. */
    private static short[] voiceLike48k() {
        short[] pcm = new short[48_000 * 5];
        for (int i = 0; i < pcm.length; i++) {
            double t = i / 48_000.0;
            double env = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t);
            double v = 0;
            for (int h = 1; h <= 6; h++) {
                v += Math.sin(2 * Math.PI * 150 * h * t) / h;
            }
            pcm[i] = (short) (v * env * 6000);
        }
        return pcm;
    }

    private static void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        await(condition, timeout, () -> what);
    }

    private static void await(BooleanSupplier condition, Duration timeout, java.util.function.Supplier<String> what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what.get());
            }
            Thread.sleep(100);
        }
    }
}
