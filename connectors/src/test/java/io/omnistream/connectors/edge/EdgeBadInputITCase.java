package io.omnistream.connectors.edge;

import static io.omnistream.connectors.edge.JavaClientEdgeITCase.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.omnistream.connectors.edge.client.EdgeClient;
import io.omnistream.schemas.ControlType;
import io.omnistream.schemas.MediaKind;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import dev.onvoid.webrtc.RTCPeerConnectionState;
import org.junit.jupiter.api.Test;

/**
 * Everything a broken or hostile client can send gets a clear error code or a clean close, is counted in the edge's
 * metrics, and leaves a healthy session on the same edge streaming untouched.
 */
class EdgeBadInputITCase {
    private static final String SECRET = "edge-bad-input-test-secret-0123456789";

    @Test
    void badInputIsAnsweredCountedAndLeavesOtherSessionsAlone() throws Exception {
        EdgeConfig cfg = EdgeConfig.builder().host("127.0.0.1").port(0).bootstrapServers(EdgeTestKafka.bootstrap())
                .maxSessions(3).maxMessageBytes(4096).jwtSecret(SECRET).joinsPerSecondPerIp(0.2).joinBurstPerIp(12)
                .build();
        try (EdgeServer edge = EdgeServer.start(cfg);
                EdgeTestKafka.Collector kafka = new EdgeTestKafka.Collector();
                EdgeClient healthy = EdgeClient.connect(edge.url(), EdgeClient.Options.audioOnly(TestMedia.speech48k()),
                        Duration.ofSeconds(30))) {
            String url = edge.url();
            String healthySid = healthy.sessionId();
            await(() -> kafka.media(healthySid, MediaKind.AUDIO).size() > 20, Duration.ofSeconds(20), "healthy audio");
            EdgeMetrics m = edge.metrics();

            // malformed JSON, non-object JSON, missing type, unknown type, binary frame: error, socket stays usable
            try (RawSignalingSocket s = new RawSignalingSocket(url)) {
                s.send("{not json");
                assertThat(s.next("error").getString("code")).isEqualTo("bad_json");
                s.send("[1,2,3]");
                assertThat(s.next("error").getString("code")).isEqualTo("bad_json");
                s.send("{\"hello\":1}");
                assertThat(s.next("error").getString("code")).isEqualTo("bad_json");
                s.send(new JsonObject().put("type", "dance"));
                assertThat(s.next("error").getString("code")).isEqualTo("unknown_type");
                s.sendBinary(new byte[] {1, 2, 3});
                assertThat(s.next("error").getString("code")).isEqualTo("bad_json");
                // messages that need a session, before joining
                s.send(new JsonObject().put("type", "offer").put("sdp", "v=0"));
                assertThat(s.next("error").getString("code")).isEqualTo("not_joined");
                s.send(new JsonObject().put("type", "ice").put("sessionId", "no-such-session").put("candidate", "x"));
                assertThat(s.next("error").getString("code")).isEqualTo("unknown_session");
                assertThat(s.alive()).isTrue();
            }
            assertThat(m.errorCount(SignalingError.BAD_JSON)).isEqualTo(4);
            assertThat(m.errorCount(SignalingError.UNKNOWN_TYPE)).isEqualTo(1);
            assertThat(m.errorCount(SignalingError.NOT_JOINED)).isEqualTo(1);
            assertThat(m.errorCount(SignalingError.UNKNOWN_SESSION)).isEqualTo(1);

            // oversized message: error then close 1009; far above the frame cap Vert.x closes the socket itself
            try (RawSignalingSocket s = new RawSignalingSocket(url)) {
                s.send("{\"type\":\"ping\",\"pad\":\"" + "x".repeat(10_000) + "\"}");
                assertThat(s.next("error").getString("code")).isEqualTo("message_too_large");
                assertThat(s.awaitClose()).isEqualTo(1009);
            }
            try (RawSignalingSocket s = new RawSignalingSocket(url)) {
                s.send("{\"type\":\"ping\",\"pad\":\"" + "x".repeat(200_000) + "\"}");
                assertThat(s.awaitClose()).isNotEqualTo(1000);
            }
            assertThat(m.errorCount(SignalingError.MESSAGE_TOO_LARGE)).isGreaterThanOrEqualTo(1);

            // bad, expired, session-less and foreign-session tokens
            try (RawSignalingSocket s = new RawSignalingSocket(url)) {
                s.send(new JsonObject().put("type", "join").put("token", "not.a.jwt"));
                assertThat(s.next("error").getString("code")).isEqualTo("bad_token");
                assertThat(s.awaitClose()).isEqualTo(1008);
            }
            try (RawSignalingSocket s = new RawSignalingSocket(url)) {
                long now = System.currentTimeMillis() / 1000;
                s.send(new JsonObject().put("type", "join").put("token", jwt(
                        new JsonObject().put("sid", "s-expired").put("iat", now - 120).put("exp", now - 60), SECRET)));
                assertThat(s.next("error").getString("code")).isEqualTo("token_expired");
                assertThat(s.awaitClose()).isEqualTo(1008);
            }
            try (RawSignalingSocket s = new RawSignalingSocket(url)) {
                long now = System.currentTimeMillis() / 1000;
                s.send(new JsonObject().put("type", "join").put("token", jwt(
                        new JsonObject().put("sid", "s-forged").put("exp", now + 60), "some-other-secret-0123456789")));
                assertThat(s.next("error").getString("code")).isEqualTo("bad_token");
            }
            try (RawSignalingSocket s = new RawSignalingSocket(url)) {
                long now = System.currentTimeMillis() / 1000;
                s.send(new JsonObject().put("type", "join").put("token", jwt(
                        new JsonObject().put("sid", "never-issued").put("exp", now + 60), SECRET)));
                assertThat(s.next("error").getString("code")).isEqualTo("unknown_session");
                assertThat(s.alive()).isTrue();
            }
            assertThat(m.errorCount(SignalingError.BAD_TOKEN)).isEqualTo(2);
            assertThat(m.errorCount(SignalingError.TOKEN_EXPIRED)).isEqualTo(1);

            // garbage SDP and ICE for another session on a joined connection; the session itself survives
            try (RawSignalingSocket s = new RawSignalingSocket(url)) {
                s.send(new JsonObject().put("type", "join").put("token", RawSignalingSocket.token(url)));
                String sid = s.next("joined").getString("sessionId");
                s.send(new JsonObject().put("type", "offer").put("sdp", "<html>not sdp</html>"));
                assertThat(s.next("error").getString("code")).isEqualTo("bad_sdp");
                s.send(new JsonObject().put("type", "offer").put("sdp", "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\nm=garbage\r\n"));
                assertThat(s.next("error").getString("code")).isEqualTo("bad_sdp");
                s.send(new JsonObject().put("type", "ice").put("sessionId", healthySid).put("candidate", "candidate:1 1 udp 1 1.2.3.4 9 typ host"));
                assertThat(s.next("error").getString("code")).isEqualTo("unknown_session");
                s.send(new JsonObject().put("type", "join").put("token", RawSignalingSocket.token(url)));
                assertThat(s.next("error").getString("code")).isEqualTo("already_joined");
                assertThat(s.alive()).isTrue();
                assertThat(edge.activeSessions()).isEqualTo(2);
                // session limit: 3 allowed, the healthy one, this one, one more
                try (RawSignalingSocket s2 = new RawSignalingSocket(url); RawSignalingSocket s3 = new RawSignalingSocket(url)) {
                    s2.send(new JsonObject().put("type", "join").put("token", RawSignalingSocket.token(url)));
                    s2.next("joined");
                    s3.send(new JsonObject().put("type", "join").put("token", RawSignalingSocket.token(url)));
                    assertThat(s3.next("error").getString("code")).isEqualTo("session_limit");
                    assertThat(s3.awaitClose()).isEqualTo(1008);
                }
                // the joined socket vanished without leave: its session ends
                await(() -> edge.activeSessions() == 2, Duration.ofSeconds(15), "vanished raw session ended");
                s.send(new JsonObject().put("type", "leave"));
                assertThat(s.next("bye").getString("reason")).isEqualTo("left");
                await(() -> kafka.control(sid).stream().anyMatch(c -> c.getType() == ControlType.ENDED),
                        Duration.ofSeconds(15), "ENDED for the left session");
            }
            assertThat(m.errorCount(SignalingError.BAD_SDP)).isEqualTo(2);
            assertThat(m.errorCount(SignalingError.SESSION_LIMIT)).isEqualTo(1);
            assertThat(m.errorCount(SignalingError.ALREADY_JOINED)).isEqualTo(1);

            // a WebRTC client that vanishes mid-session (no leave, socket and peer gone)
            EdgeClient ghost = EdgeClient.connect(url, EdgeClient.Options.audioOnly(null), Duration.ofSeconds(30));
            String ghostSid = ghost.sessionId();
            ghost.vanish();
            await(() -> kafka.control(ghostSid).stream().anyMatch(c -> c.getType() == ControlType.ENDED
                    && "client_gone".equals(c.getReason())), Duration.ofSeconds(15), "ghost session ended");

            // an origin that is not this edge's
            assertThatThrownBy(() -> new RawSignalingSocket(url, Map.of("Origin", "http://evil.example")))
                    .hasStackTraceContaining("403");
            assertThat(m.errorCount(SignalingError.BAD_ORIGIN)).isEqualTo(1);
            new RawSignalingSocket(url, Map.of("Origin", url.substring(0, url.length() - 1))).close(); // same origin ok

            // join flood from one IP: the bucket runs dry
            boolean limited = false;
            for (int i = 0; i < 20 && !limited; i++) {
                try (RawSignalingSocket s = new RawSignalingSocket(url)) {
                    s.send(new JsonObject().put("type", "join").put("token", "x"));
                    JsonObject e = s.next("error");
                    limited = "rate_limited".equals(e.getString("code"));
                }
            }
            assertThat(limited).isTrue();
            assertThat(m.errorCount(SignalingError.RATE_LIMITED)).isGreaterThanOrEqualTo(1);

            // the healthy session never noticed
            long before = kafka.media(healthySid, MediaKind.AUDIO).size();
            assertThat(healthy.state()).isEqualTo(RTCPeerConnectionState.CONNECTED);
            await(() -> kafka.media(healthySid, MediaKind.AUDIO).size() > before + 25, Duration.ofSeconds(10),
                    "healthy session still streaming");
            MediaChecks.assertAudio(kafka.media(healthySid, MediaKind.AUDIO), true);
            assertThat(healthy.signalingErrors()).isEmpty();

            // the errors are visible to Prometheus
            String metrics = RawSignalingSocket.HTTP.send(HttpRequest.newBuilder(URI.create(url).resolve("metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("omni_edge_errors_total{code=\"bad_json\"} 4.0");
            assertThat(metrics).contains("vertx_http_server_requests_total");
            String health = RawSignalingSocket.HTTP.send(HttpRequest.newBuilder(URI.create(url).resolve("health")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(new JsonObject(health).getString("status")).isEqualTo("UP");
        }
    }

    static String jwt(JsonObject claims, String secret) throws Exception {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String head = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String body = b64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String sig = b64.encodeToString(mac.doFinal((head + "." + body).getBytes(StandardCharsets.UTF_8)));
        return head + "." + body + "." + sig;
    }
}
