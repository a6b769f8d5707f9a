package io.omnistream.connectors.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.schemas.ControlType;
import io.omnistream.schemas.SessionControl;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Resuming a session needs proof: a resume token the edge fleet signed for that session, within its window, used
 * once. A real edge on a real broker answers forged, expired, wrong-kind and replayed tokens with a clear, counted
 * error, and continues a session whose connection was lost under the same session id, with its clock moving on.
 */
class EdgeResumeAdmissionITCase {
    private static final String SECRET = "edge-resume-test-secret-0123456789abcdef";

    @Test
    void resumeNeedsAValidUnusedTokenAndContinuesTheSameSession() throws Exception {
        EdgeConfig cfg = EdgeConfig.builder().host("127.0.0.1").port(0).bootstrapServers(EdgeTestKafka.bootstrap())
                .jwtSecret(SECRET).joinBurstPerIp(50).joinsPerSecondPerIp(50).resumeWindow(Duration.ofSeconds(30))
                .build();
        try (EdgeServer edge = EdgeServer.start(cfg); EdgeTestKafka.Collector kafka = new EdgeTestKafka.Collector()) {
            String url = edge.url();
            EdgeMetrics m = edge.metrics();
            long now = System.currentTimeMillis() / 1000;

            // forged: the right claims, signed with another key
            try (RawSignalingSocket s = new RawSignalingSocket(url)) {
                s.send(resume(EdgeBadInputITCase.jwt(resumeClaims("s-forged", now + 30), "another-key-0123456789abcdef")));
                JsonObject e = s.next("error");
                assertThat(e.getString("code")).isEqualTo("bad_resume");
                assertThat(e.getString("message")).isEqualTo("invalid resume token");
                assertThat(s.awaitClose()).isEqualTo(1008);
            }
            // expired: signed by the fleet, past its window
            try (RawSignalingSocket s = new RawSignalingSocket(url)) {
                s.send(resume(EdgeBadInputITCase.jwt(resumeClaims("s-expired", now - 5).put("iat", now - 40), SECRET)));
                JsonObject e = s.next("error");
                assertThat(e.getString("code")).isEqualTo("resume_expired");
                assertThat(e.getString("message")).contains("start a new session");
            }
            // a session (join) token is no resume proof
            try (RawSignalingSocket s = new RawSignalingSocket(url)) {
                s.send(resume(RawSignalingSocket.token(url)));
                assertThat(s.next("error").getString("message")).isEqualTo("not a resume token");
            }
            // and a resume token cannot start a session
            try (RawSignalingSocket s = new RawSignalingSocket(url)) {
                s.send(new JsonObject().put("type", "join").put("token",
                        EdgeBadInputITCase.jwt(resumeClaims("s-kind", now + 30), SECRET)));
                JsonObject e = s.next("error");
                assertThat(e.getString("code")).isEqualTo("bad_token");
                assertThat(e.getString("message")).contains("resume token cannot start a session");
            }
            assertThat(m.errorCount(SignalingError.BAD_RESUME)).isEqualTo(2);
            assertThat(m.errorCount(SignalingError.RESUME_EXPIRED)).isEqualTo(1);

            // a real session gets a resume token at join; its connection is lost (no leave)
            String sid;
            String token;
            try (RawSignalingSocket s = new RawSignalingSocket(url)) {
                s.send(new JsonObject().put("type", "join").put("token", RawSignalingSocket.token(url)));
                JsonObject joined = s.next("joined");
                sid = joined.getString("sessionId");
                token = joined.getString("resumeToken");
                assertThat(joined.getBoolean("resumed")).isFalse();
                assertThat(token).isNotBlank();
                Thread.sleep(1500); // the session clock runs
            }
            await(() -> edge.activeSessions() == 0, "the lost session ended");
            long clockAtLoss = control(kafka, sid, ControlType.ENDED).getSessionClockMicros();

            // resumed on a new connection: same session id, counted, STARTED with reason "resumed", clock moved on
            try (RawSignalingSocket s = new RawSignalingSocket(url)) {
                s.send(resume(token));
                JsonObject joined = s.next("joined");
                assertThat(joined.getString("sessionId")).isEqualTo(sid);
                assertThat(joined.getBoolean("resumed")).isTrue();
                assertThat(joined.getString("resumeToken")).isNotEqualTo(token);
                assertThat(m.sessionsResumed()).isEqualTo(1);
                await(() -> kafka.control(sid).stream().anyMatch(c -> "resumed".equals(c.getReason())), "STARTED resumed");
                SessionControl resumed = kafka.control(sid).stream().filter(c -> "resumed".equals(c.getReason()))
                        .findFirst().orElseThrow();
                assertThat(resumed.getType()).isEqualTo(ControlType.STARTED);
                assertThat(resumed.getSessionClockMicros()).isGreaterThan(clockAtLoss);
                s.send(new JsonObject().put("type", "leave"));
                s.next("bye");
            }
            await(() -> edge.activeSessions() == 0, "the resumed session left");
            Thread.sleep(2500); // past two housekeeping rounds, which forget used tokens only once they expire

            // the same token again: replay refused
            try (RawSignalingSocket s = new RawSignalingSocket(url)) {
                s.send(resume(token));
                JsonObject e = s.next("error");
                assertThat(e.getString("code")).isEqualTo("bad_resume");
                assertThat(e.getString("message")).isEqualTo("resume token already used");
            }
            assertThat(m.errorCount(SignalingError.BAD_RESUME)).isEqualTo(3);
            assertThat(m.sessionsResumed()).isEqualTo(1);
        }
    }

    private static JsonObject resume(String token) {
        return new JsonObject().put("type", "join").put("resumeToken", token);
    }

    private static JsonObject resumeClaims(String sid, long expSeconds) {
        return new JsonObject().put("sid", sid).put("rsm", true).put("st", System.currentTimeMillis() - 10_000)
                .put("clk", 10_000_000L).put("jti", UUID.randomUUID().toString()).put("exp", expSeconds);
    }

    private static SessionControl control(EdgeTestKafka.Collector kafka, String sid, ControlType type) throws Exception {
        await(() -> kafka.control(sid).stream().anyMatch(c -> c.getType() == type), type + " published");
        List<SessionControl> all = kafka.control(sid);
        return all.stream().filter(c -> c.getType() == type).reduce((a, b) -> b).orElseThrow();
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }
}
