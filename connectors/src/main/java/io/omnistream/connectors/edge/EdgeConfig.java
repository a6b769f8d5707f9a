package io.omnistream.connectors.edge;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Every setting of the WebRTC edge in one typed place, with defaults that run the embedded mode
 * ({@code omni run}): port 8080 on all interfaces, an HS256 key generated at start, open {@code POST /sessions}.
 * Build one with {@link #builder()}; tests use port 0 (any free port).
 *
 * @param host interface to bind
 * @param port HTTP port, 0 = any free port
 * @param bootstrapServers Kafka bootstrap servers for media out and events/agent in
 * @param edgeId this edge's name, written into {@code SessionControl.edgeId}
 * @param maxSessions sessions this edge hosts at most; joins above it get {@code session_limit}
 * @param joinsPerSecondPerIp per-IP join rate (token bucket refill), {@code rate_limited} above it
 * @param joinBurstPerIp per-IP token bucket size
 * @param maxMessageBytes largest signaling WebSocket message; larger ones close the socket (1009)
 * @param allowedOrigins browser origins allowed to open the signaling socket; empty = same host only.
 *        A request without an Origin header (a non-browser client) is allowed.
 * @param jwtSecret HS256 key for session tokens; {@code null} = random key generated at start (embedded mode)
 * @param tokenTtl lifetime of a token issued by {@code POST /sessions}
 * @param openSessionEndpoint whether {@code POST /sessions} issues tokens to anyone (embedded mode). When a platform
 *        issues tokens itself (same {@code jwtSecret}, claim {@code sid}), set this to false.
 * @param iceServers STUN/TURN URLs for the server peers (empty = host candidates only, enough on a LAN/localhost)
 * @param cameraMaxWidth camera JPEG width limit
 * @param cameraMaxHeight camera JPEG height limit
 * @param cameraMaxFps camera frames per second published at most
 * @param screenMaxWidth screen JPEG width limit
 * @param screenMaxHeight screen JPEG height limit
 * @param screenMaxFps screen frames per second published at most (only changed pictures are published)
 * @param screenChangeThreshold change of the mean luma (0..255) of any one cell of a 64x36 grid that counts as a
 *        new screen picture
 * @param jpegQuality JPEG quality 0..1
 * @param agentJitterFrames 10 ms frames buffered before agent audio starts playing (jitter queue prefill)
 * @param agentMaxQueuedFrames agent audio frames queued at most per session (older ones dropped beyond it)
 * @param audioClockMaxCatchUpTicks 10 ms agent audio ticks the edge's {@link AudioClock} runs back to back after
 *        waking late; older ones are skipped (a burst longer than this would only grow the browser's jitter buffer)
 * @param realtimeMediaThreads whether the edge asks Linux for real-time scheduling ({@link OsScheduling}; refused
 *        without CAP_SYS_NICE) of its {@link AudioClock} thread and of webrtc-java's network and worker threads.
 *        Off by default: it makes the clock's own lateness ~0.1 ms instead of ~5 ms on a loaded machine, but the
 *        whole loop showed no gain, and with it on the connectors ITCases failed when run as a suite (a forked VM
 *        ended without a goodbye after EdgeClientMemoryITCase, EdgeResumeAdmissionITCase timed out) — not yet
 *        understood (load-tests/RESULTS.md, issue 9)
 * @param iceDisconnectGrace how long a peer may stay disconnected/failed before the session is ended
 * @param staticWebRoot classpath folder of the web client
 * @param resumeWindow how long a resume token stays valid: a client whose edge died may rejoin and continue its
 *        session within this time after the last token it received. Resuming on another edge, or on a restarted
 *        one, needs the same {@code jwtSecret} on every edge of the fleet.
 * @param resumeRefresh how often a live session gets a fresh resume token carrying its current clock; a resumed
 *        session continues its clock from the last token plus this plus 2 s, so the clock never goes back and jumps
 *        forward by at most a few seconds however long the outage was
 */
public record EdgeConfig(
        String host,
        int port,
        String bootstrapServers,
        String edgeId,
        int maxSessions,
        double joinsPerSecondPerIp,
        int joinBurstPerIp,
        int maxMessageBytes,
        List<String> allowedOrigins,
        String jwtSecret,
        Duration tokenTtl,
        boolean openSessionEndpoint,
        List<String> iceServers,
        int cameraMaxWidth,
        int cameraMaxHeight,
        double cameraMaxFps,
        int screenMaxWidth,
        int screenMaxHeight,
        double screenMaxFps,
        double screenChangeThreshold,
        float jpegQuality,
        int agentJitterFrames,
        int agentMaxQueuedFrames,
        int audioClockMaxCatchUpTicks,
        boolean realtimeMediaThreads,
        Duration iceDisconnectGrace,
        String staticWebRoot,
        Duration resumeWindow,
        Duration resumeRefresh) {

    public EdgeConfig {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        allowedOrigins = List.copyOf(allowedOrigins);
        iceServers = List.copyOf(iceServers);
        if (maxSessions < 1 || maxMessageBytes < 256 || joinBurstPerIp < 1 || joinsPerSecondPerIp <= 0) {
            throw new IllegalArgumentException("maxSessions, maxMessageBytes, joinBurstPerIp, joinsPerSecondPerIp must be positive");
        }
        if (audioClockMaxCatchUpTicks < 1) {
            throw new IllegalArgumentException("audioClockMaxCatchUpTicks must be at least 1");
        }
        if (resumeWindow == null || resumeWindow.toSeconds() < 3) {
            throw new IllegalArgumentException("resumeWindow must be at least 3 s");
        }
        if (resumeRefresh == null || resumeRefresh.toMillis() < 500 || resumeRefresh.compareTo(resumeWindow) >= 0) {
            throw new IllegalArgumentException("resumeRefresh must be at least 500 ms and shorter than resumeWindow");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.host = host; b.port = port; b.bootstrapServers = bootstrapServers; b.edgeId = edgeId;
        b.maxSessions = maxSessions; b.joinsPerSecondPerIp = joinsPerSecondPerIp; b.joinBurstPerIp = joinBurstPerIp;
        b.maxMessageBytes = maxMessageBytes; b.allowedOrigins = allowedOrigins; b.jwtSecret = jwtSecret;
        b.tokenTtl = tokenTtl; b.openSessionEndpoint = openSessionEndpoint; b.iceServers = iceServers;
        b.cameraMaxWidth = cameraMaxWidth; b.cameraMaxHeight = cameraMaxHeight; b.cameraMaxFps = cameraMaxFps;
        b.screenMaxWidth = screenMaxWidth; b.screenMaxHeight = screenMaxHeight; b.screenMaxFps = screenMaxFps;
        b.screenChangeThreshold = screenChangeThreshold; b.jpegQuality = jpegQuality;
        b.agentJitterFrames = agentJitterFrames; b.agentMaxQueuedFrames = agentMaxQueuedFrames;
        b.audioClockMaxCatchUpTicks = audioClockMaxCatchUpTicks;
        b.realtimeMediaThreads = realtimeMediaThreads;
        b.iceDisconnectGrace = iceDisconnectGrace; b.staticWebRoot = staticWebRoot;
        b.resumeWindow = resumeWindow;
        b.resumeRefresh = resumeRefresh;
        return b;
    }

    /** Builder with the embedded-mode defaults. */
    public static final class Builder {
        private String host = "0.0.0.0";
        private int port = 8080;
        private String bootstrapServers = "localhost:9092";
        private String edgeId = "edge-" + UUID.randomUUID().toString().substring(0, 8);
        private int maxSessions = 50;
        private double joinsPerSecondPerIp = 5;
        private int joinBurstPerIp = 20;
        private int maxMessageBytes = 64 * 1024;
        private List<String> allowedOrigins = List.of();
        private String jwtSecret;
        private Duration tokenTtl = Duration.ofMinutes(2);
        private boolean openSessionEndpoint = true;
        private List<String> iceServers = List.of();
        private int cameraMaxWidth = 320;
        private int cameraMaxHeight = 240;
        private double cameraMaxFps = 15;
        private int screenMaxWidth = 1280;
        private int screenMaxHeight = 720;
        private double screenMaxFps = 2;
        private double screenChangeThreshold = 3.0;
        private float jpegQuality = 0.75f;
        private int agentJitterFrames = 3;
        private int agentMaxQueuedFrames = 3000;
        private int audioClockMaxCatchUpTicks = 5;
        private boolean realtimeMediaThreads = false;
        private Duration iceDisconnectGrace = Duration.ofSeconds(10);
        private String staticWebRoot = "webroot";
        private Duration resumeWindow = Duration.ofSeconds(60);
        private Duration resumeRefresh = Duration.ofSeconds(2);

        public Builder host(String v) { host = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder bootstrapServers(String v) { bootstrapServers = v; return this; }
        public Builder edgeId(String v) { edgeId = v; return this; }
        public Builder maxSessions(int v) { maxSessions = v; return this; }
        public Builder joinsPerSecondPerIp(double v) { joinsPerSecondPerIp = v; return this; }
        public Builder joinBurstPerIp(int v) { joinBurstPerIp = v; return this; }
        public Builder maxMessageBytes(int v) { maxMessageBytes = v; return this; }
        public Builder allowedOrigins(List<String> v) { allowedOrigins = v; return this; }
        public Builder jwtSecret(String v) { jwtSecret = v; return this; }
        public Builder tokenTtl(Duration v) { tokenTtl = v; return this; }
        public Builder openSessionEndpoint(boolean v) { openSessionEndpoint = v; return this; }
        public Builder iceServers(List<String> v) { iceServers = v; return this; }
        public Builder cameraMaxSize(int w, int h) { cameraMaxWidth = w; cameraMaxHeight = h; return this; }
        public Builder cameraMaxFps(double v) { cameraMaxFps = v; return this; }
        public Builder screenMaxSize(int w, int h) { screenMaxWidth = w; screenMaxHeight = h; return this; }
        public Builder screenMaxFps(double v) { screenMaxFps = v; return this; }
        public Builder screenChangeThreshold(double v) { screenChangeThreshold = v; return this; }
        public Builder jpegQuality(float v) { jpegQuality = v; return this; }
        public Builder agentJitterFrames(int v) { agentJitterFrames = v; return this; }
        public Builder agentMaxQueuedFrames(int v) { agentMaxQueuedFrames = v; return this; }
        public Builder audioClockMaxCatchUpTicks(int v) { audioClockMaxCatchUpTicks = v; return this; }
        public Builder realtimeMediaThreads(boolean v) { realtimeMediaThreads = v; return this; }
        public Builder iceDisconnectGrace(Duration v) { iceDisconnectGrace = v; return this; }
        public Builder staticWebRoot(String v) { staticWebRoot = v; return this; }
        public Builder resumeWindow(Duration v) { resumeWindow = v; return this; }
        public Builder resumeRefresh(Duration v) { resumeRefresh = v; return this; }

        public EdgeConfig build() {
            return new EdgeConfig(host, port, bootstrapServers, edgeId, maxSessions, joinsPerSecondPerIp,
                    joinBurstPerIp, maxMessageBytes, allowedOrigins, jwtSecret, tokenTtl, openSessionEndpoint,
                    iceServers, cameraMaxWidth, cameraMaxHeight, cameraMaxFps, screenMaxWidth, screenMaxHeight,
                    screenMaxFps, screenChangeThreshold, jpegQuality, agentJitterFrames, agentMaxQueuedFrames,
                    audioClockMaxCatchUpTicks, realtimeMediaThreads, iceDisconnectGrace, staticWebRoot, resumeWindow, resumeRefresh);
        }
    }
}
