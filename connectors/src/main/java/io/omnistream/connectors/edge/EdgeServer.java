package io.omnistream.connectors.edge;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebRTC edge: where a customer's browser connects. One Vert.x HTTP server serves the web client, issues
 * session tokens ({@code POST /sessions}), runs JSON signaling on {@code /signal} (WebSocket), answers
 * {@code /health} and {@code /metrics} (Prometheus). Each joined session gets its own webrtc-java peer
 * ({@link EdgeSession}) whose media goes to Kafka; events and the agent's voice come back through one
 * {@link ReturnPath} consumer. Start it with {@link #start(EdgeConfig)}, stop it with {@link #close()}.
 *
 * <pre>{@code
 * try (EdgeServer edge = EdgeServer.start(EdgeConfig.builder().bootstrapServers(kafka).port(8080).build())) {
 *     System.out.println("open " + edge.url());
 * }
 * }</pre>
 */
public final class EdgeServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EdgeServer.class);
    private static final String SID_CLAIM = "sid";
    /** Marks a resume token; a join refuses tokens that carry it, a resume needs it. */
    private static final String RESUME_CLAIM = "rsm";
    private static final String START_CLAIM = "st";
    private static final String CLOCK_CLAIM = "clk";
    private static final String ID_CLAIM = "jti";

    private final EdgeConfig cfg;
    private final PrometheusMeterRegistry registry;
    private final Vertx vertx;
    private final EdgeMetrics metrics;
    private final JWTAuth jwt;
    private final JoinRateLimiter rateLimiter;
    private final ExecutorService workers;
    private final AudioClock audioClock;
    private final Map<EdgeSession, AudioClock.Participant> voices = new ConcurrentHashMap<>();
    private final MediaPublisher publisher;
    private final ReturnPath returnPath;
    private final PeerFactoryPool factories;
    private final Map<String, EdgeSession> sessions = new ConcurrentHashMap<>();
    private final Map<String, Long> issued = new ConcurrentHashMap<>(); // sid -> expiry millis
    private final Map<String, Long> usedResumeTokens = new ConcurrentHashMap<>(); // jti -> expiry millis
    private final AtomicInteger admitted = new AtomicInteger(); // sessions joined or being created
    private final AtomicInteger disposing = new AtomicInteger();
    private HttpServer server;
    private long housekeepingTimer;
    private volatile boolean closed;

    private EdgeServer(EdgeConfig cfg) {
        this.cfg = cfg;
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.vertx = Vertx.builder()
                .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
                .withMetrics(new MicrometerMetricsFactory(registry))
                .build();
        this.metrics = new EdgeMetrics(registry);
        String secret = cfg.jwtSecret() != null ? cfg.jwtSecret() : randomSecret();
        this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
                .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
        this.rateLimiter = new JoinRateLimiter(cfg.joinsPerSecondPerIp(), cfg.joinBurstPerIp());
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
            Thread t = new Thread(r, "omni-edge-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.audioClock = new AudioClock(Duration.ofMillis(10), cfg.audioClockMaxCatchUpTicks(), System::nanoTime,
                ns -> metrics.audioClockLatenessMs.record(ns / 1e6));
        metrics.bindAudioClock(registry, audioClock);
        this.publisher = new MediaPublisher(cfg.bootstrapServers(), cfg.edgeId(), metrics);
        this.returnPath = new ReturnPath(cfg.bootstrapServers(), cfg.edgeId(), sessions::get, metrics);
        this.factories = new PeerFactoryPool(cfg.maxSessions());
        metrics.activeSessions();
    }

    /** Starts an edge and blocks until it listens. */
    public static EdgeServer start(EdgeConfig cfg) {
        EdgeServer s = new EdgeServer(cfg);
        try {
            s.listen();
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private void listen() {
        Router router = Router.router(vertx);
        router.get("/health").handler(ctx -> ctx.json(new JsonObject().put("status", "UP")
                .put("edgeId", cfg.edgeId()).put("sessions", sessions.size()).put("maxSessions", cfg.maxSessions())
                .put("returnPathAssigned", returnPath.isAssigned())));
        router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
        router.post("/sessions").handler(ctx -> {
            if (!cfg.openSessionEndpoint()) {
                ctx.response().setStatusCode(403).end("session tokens are issued by the platform");
                return;
            }
            String sid = UUID.randomUUID().toString();
            long ttl = cfg.tokenTtl().toSeconds();
            issued.put(sid, System.currentTimeMillis() + cfg.tokenTtl().toMillis());
            String token = jwt.generateToken(new JsonObject().put(SID_CLAIM, sid),
                    new JWTOptions().setExpiresInSeconds((int) Math.max(1, ttl)));
            ctx.json(new JsonObject().put("sessionId", sid).put("token", token).put("expiresInSeconds", ttl)
                    .put("signalingPath", "/signal").put("iceServers", new JsonArray(cfg.iceServers())));
        });
        router.route("/*").handler(StaticHandler.create(cfg.staticWebRoot()).setCachingEnabled(false));

        int frameCap = Math.max(65536, cfg.maxMessageBytes() * 4);
        server = vertx.createHttpServer(new HttpServerOptions()
                        .setMaxWebSocketFrameSize(frameCap)
                        .setMaxWebSocketMessageSize(frameCap))
                .webSocketHandshakeHandler(this::handshake)
                .webSocketHandler(this::onSocket)
                .requestHandler(router);
        try {
            server.listen(cfg.port(), cfg.host()).await(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("edge did not start listening within 30 s", e);
        }
        housekeepingTimer = vertx.setPeriodic(1000, id -> housekeeping());
        audioClock.start("omni-edge-audio-clock", cfg.realtimeMediaThreads());
        returnPath.start();
        LOG.info("Omnistream edge {} listening on {}", cfg.edgeId(), url());
    }

    // ---------------------------------------------------------------- public view

    /** Base URL of the web client, e.g. {@code http://localhost:8080/}. */
    public String url() {
        String host = cfg.host().equals("0.0.0.0") || cfg.host().equals("::") ? "localhost" : cfg.host();
        return "http://" + host + ":" + port() + "/";
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return server.actualPort();
    }

    /** Sessions currently hosted. */
    public int activeSessions() {
        return sessions.size();
    }

    /** Sessions whose native peer is still being torn down. */
    public int disposingSessions() {
        return disposing.get();
    }

    /** True once the return-path consumer has its partitions. */
    public boolean returnPathReady() {
        return returnPath.isAssigned();
    }

    /** Native peer factories created so far; bounded by the peak number of concurrent sessions. */
    public int peerFactoriesCreated() {
        return factories.created();
    }

    public EdgeMetrics metrics() {
        return metrics;
    }

    public EdgeConfig config() {
        return cfg;
    }

    /** Frames of agent audio queued for a session (-1 if not hosted); used by tests and the benchmark. */
    public int queuedAgentFrames(String sessionId) {
        EdgeSession s = sessions.get(sessionId);
        return s == null ? -1 : s.voice().queuedFrames();
    }

    // ---------------------------------------------------------------- signaling

    private void handshake(ServerWebSocketHandshake hs) {
        if (!"/signal".equals(hs.path())) {
            hs.reject(404);
            return;
        }
        String origin = hs.headers().get("Origin");
        if (origin != null && !originAllowed(origin, hs.headers().get("Host"))) {
            metrics.error(SignalingError.BAD_ORIGIN);
            hs.reject(403);
            return;
        }
        hs.accept();
    }

    private boolean originAllowed(String origin, String host) {
        if (!cfg.allowedOrigins().isEmpty()) {
            return cfg.allowedOrigins().contains(origin);
        }
        try {
            URI u = URI.create(origin);
            String authority = u.getAuthority();
            return authority != null && authority.equalsIgnoreCase(host);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private final class Connection implements EdgeSession.Signal {
        final ServerWebSocket ws;
        final String ip;
        volatile EdgeSession session;
        volatile boolean joining;

        Connection(ServerWebSocket ws) {
            this.ws = ws;
            this.ip = ws.remoteAddress() == null ? "?" : ws.remoteAddress().hostAddress();
        }

        @Override
        public void send(JsonObject message) {
            if (!ws.isClosed()) {
                ws.writeTextMessage(message.encode());
            }
        }

        @Override
        public void ended(EdgeSession s, String reason) {
            send(new JsonObject().put("type", "bye").put("reason", reason));
        }

        void fail(SignalingError e, String message) {
            metrics.error(e);
            send(EdgeSession.error(e, message));
            if (e.closesSocket()) {
                ws.close((short) (e == SignalingError.MESSAGE_TOO_LARGE ? 1009 : 1008), e.code());
            }
        }
    }

    private void onSocket(ServerWebSocket ws) {
        Connection c = new Connection(ws);
        ws.textMessageHandler(text -> onMessage(c, text));
        ws.binaryMessageHandler(b -> c.fail(SignalingError.BAD_JSON, "binary messages are not part of the protocol"));
        ws.exceptionHandler(t -> {
            // Netty rejects frames/messages above the hard cap before they reach textMessageHandler
            String m = (t.getClass().getSimpleName() + " " + t.getMessage()).toLowerCase();
            boolean tooLarge = m.contains("too big") || m.contains("too long") || m.contains("exceed")
                    || m.contains("max") || m.contains("large");
            LOG.debug("signaling socket error from {}: {}", c.ip, t.toString());
            if (tooLarge) {
                metrics.error(SignalingError.MESSAGE_TOO_LARGE);
                if (!ws.isClosed()) {
                    ws.close((short) 1009, SignalingError.MESSAGE_TOO_LARGE.code());
                }
            }
        });
        ws.closeHandler(v -> {
            EdgeSession s = c.session;
            if (s != null) {
                endSession(s, "client_gone");
            }
        });
    }

    private void onMessage(Connection c, String text) {
        if (text.length() > cfg.maxMessageBytes()) { // chars >= bytes/4; the frame cap catches the rest
            c.fail(SignalingError.MESSAGE_TOO_LARGE, "message of " + text.length() + " chars exceeds "
                    + cfg.maxMessageBytes() + " bytes");
            return;
        }
        JsonObject m;
        try {
            m = new JsonObject(text);
        } catch (DecodeException | ClassCastException e) {
            c.fail(SignalingError.BAD_JSON, "not a JSON object");
            return;
        }
        String type = m.getValue("type") instanceof String t ? t : null;
        if (type == null) {
            c.fail(SignalingError.BAD_JSON, "missing string field 'type'");
            return;
        }
        Object sid = m.getValue("sessionId");
        if (sid != null && c.session != null && !sid.equals(c.session.sessionId)) {
            c.fail(SignalingError.UNKNOWN_SESSION, "session " + sid + " is not this connection's session");
            return;
        }
        switch (type) {
            case "join" -> join(c, m);
            case "offer" -> {
                EdgeSession s = requireSession(c, sid);
                if (s == null) {
                    return;
                }
                if (!(m.getValue("sdp") instanceof String sdp) || !sdp.startsWith("v=0")) {
                    c.fail(SignalingError.BAD_SDP, "offer needs an 'sdp' string starting with v=0");
                    return;
                }
                s.onOffer(sdp, m.getValue("tracks") instanceof JsonObject t ? t : null);
            }
            case "ice" -> {
                EdgeSession s = requireSession(c, sid);
                if (s == null) {
                    return;
                }
                if (!(m.getValue("candidate") instanceof String cand)) {
                    c.fail(SignalingError.BAD_CANDIDATE, "ice needs a 'candidate' string");
                    return;
                }
                if (cand.isEmpty()) {
                    return; // end of candidates
                }
                String mid = m.getValue("sdpMid") instanceof String s2 ? s2 : null;
                int idx = m.getValue("sdpMLineIndex") instanceof Number n ? n.intValue() : 0;
                s.onRemoteCandidate(cand, mid, idx);
            }
            case "leave" -> {
                EdgeSession s = c.session;
                if (s != null) {
                    c.session = null;
                    endSession(s, "left");
                }
                c.send(new JsonObject().put("type", "bye").put("reason", "left"));
                c.ws.close((short) 1000, "left");
            }
            case "ping" -> c.send(new JsonObject().put("type", "pong"));
            default -> c.fail(SignalingError.UNKNOWN_TYPE, "unknown message type '" + type + "'");
        }
    }

    private EdgeSession requireSession(Connection c, Object sid) {
        EdgeSession s = c.session;
        if (s == null) {
            if (sid != null) {
                c.fail(SignalingError.UNKNOWN_SESSION, "unknown session " + sid);
            } else {
                c.fail(SignalingError.NOT_JOINED, "join first");
            }
        }
        return s;
    }

    private void join(Connection c, JsonObject m) {
        if (c.session != null || c.joining) {
            c.fail(SignalingError.ALREADY_JOINED, "this connection already joined");
            return;
        }
        if (!rateLimiter.tryAcquire(c.ip, System.nanoTime())) {
            c.fail(SignalingError.RATE_LIMITED, "too many joins from " + c.ip);
            return;
        }
        if (m.containsKey("resumeToken")) {
            resume(c, m.getValue("resumeToken"));
            return;
        }
        if (!(m.getValue("token") instanceof String token) || token.isEmpty()) {
            c.fail(SignalingError.BAD_TOKEN, "join needs a 'token'");
            return;
        }
        c.joining = true;
        jwt.authenticate(new TokenCredentials(token)).onComplete(ar -> {
            if (ar.failed()) {
                c.joining = false;
                String msg = String.valueOf(ar.cause().getMessage());
                boolean expired = msg.toLowerCase().contains("expired");
                c.fail(expired ? SignalingError.TOKEN_EXPIRED : SignalingError.BAD_TOKEN,
                        expired ? "token expired" : "invalid token");
                return;
            }
            JsonObject claims = ar.result().principal();
            String sid = claims.getValue(SID_CLAIM) instanceof String v ? v : null;
            if (sid == null) {
                c.joining = false;
                c.fail(SignalingError.BAD_TOKEN, "token has no session claim");
                return;
            }
            if (claims.containsKey(RESUME_CLAIM)) {
                c.joining = false;
                c.fail(SignalingError.BAD_TOKEN, "a resume token cannot start a session; send it as 'resumeToken'");
                return;
            }
            if (sessions.containsKey(sid) || (cfg.openSessionEndpoint() && issued.remove(sid) == null)) {
                c.joining = false;
                c.fail(SignalingError.UNKNOWN_SESSION, "session " + sid + " was not issued here or is in use");
                return;
            }
            if (admitted.incrementAndGet() > cfg.maxSessions() || closed) {
                admitted.decrementAndGet();
                c.joining = false;
                c.fail(SignalingError.SESSION_LIMIT, "this edge hosts at most " + cfg.maxSessions() + " sessions");
                return;
            }
            workers.execute(() -> createSession(c, sid, EdgeSession.Continuation.fresh(), false));
        });
    }

    /**
     * Continues a session whose edge died or whose connection dropped: the proof is a resume token this edge fleet
     * signed for the session (see the package documentation, "Resuming a session").
     */
    private void resume(Connection c, Object tokenValue) {
        if (!(tokenValue instanceof String token) || token.isEmpty()) {
            c.fail(SignalingError.BAD_RESUME, "'resumeToken' must be a non-empty string");
            return;
        }
        c.joining = true;
        jwt.authenticate(new TokenCredentials(token)).onComplete(ar -> {
            if (ar.failed()) {
                c.joining = false;
                boolean expired = String.valueOf(ar.cause().getMessage()).toLowerCase().contains("expired");
                c.fail(expired ? SignalingError.RESUME_EXPIRED : SignalingError.BAD_RESUME, expired
                        ? "resume window of " + cfg.resumeWindow().toSeconds() + " s passed; start a new session"
                        : "invalid resume token");
                return;
            }
            JsonObject claims = ar.result().principal();
            String sid = claims.getValue(SID_CLAIM) instanceof String v ? v : null;
            String jti = claims.getValue(ID_CLAIM) instanceof String v ? v : null;
            long now = System.currentTimeMillis();
            if (sid == null || jti == null || !Boolean.TRUE.equals(claims.getValue(RESUME_CLAIM))
                    || !(claims.getValue(START_CLAIM) instanceof Number st) || st.longValue() > now
                    || !(claims.getValue(CLOCK_CLAIM) instanceof Number clk) || clk.longValue() < 0) {
                c.joining = false;
                c.fail(SignalingError.BAD_RESUME, "not a resume token");
                return;
            }
            // Vert.x keeps the registered claims (exp, iat, nbf) out of the principal and copies them to the
            // user's attributes; without a readable expiry the token is remembered for the whole window.
            long exp = ar.result().attributes().getValue("exp") instanceof Number e ? e.longValue() * 1000
                    : now + cfg.resumeWindow().toMillis();
            if (usedResumeTokens.containsKey(jti)) {
                c.joining = false;
                c.fail(SignalingError.BAD_RESUME, "resume token already used");
                return;
            }
            if (sessions.containsKey(sid)) {
                c.joining = false;
                c.fail(SignalingError.BAD_RESUME, "session " + sid + " is live on this edge");
                return;
            }
            if (admitted.incrementAndGet() > cfg.maxSessions() || closed) {
                admitted.decrementAndGet();
                c.joining = false;
                c.fail(SignalingError.SESSION_LIMIT, "this edge hosts at most " + cfg.maxSessions() + " sessions");
                return;
            }
            if (usedResumeTokens.putIfAbsent(jti, exp) != null) { // a concurrent resume with the same token
                admitted.decrementAndGet();
                c.joining = false;
                c.fail(SignalingError.BAD_RESUME, "resume token already used");
                return;
            }
            // Never back (the aligner would take it as late data), and forward by a bounded step rather than by the
            // outage: media validation rejects a session clock that jumps by more than its window (10 s).
            long clock = clk.longValue() + cfg.resumeRefresh().toNanos() / 1000 + 2_000_000L;
            EdgeSession.Continuation from = new EdgeSession.Continuation(st.longValue(), clock);
            workers.execute(() -> createSession(c, sid, from, true));
        });
    }

    private String resumeToken(EdgeSession s) {
        return jwt.generateToken(new JsonObject().put(SID_CLAIM, s.sessionId).put(RESUME_CLAIM, true)
                        .put(START_CLAIM, s.sessionStartEpochMillis).put(CLOCK_CLAIM, s.resumeClockMicros())
                        .put(ID_CLAIM, UUID.randomUUID().toString()),
                new JWTOptions().setExpiresInSeconds((int) cfg.resumeWindow().toSeconds()));
    }

    private void sendResumeToken(EdgeSession s) {
        s.resumeTokenSentNanos = System.nanoTime();
        s.sendSignal(new JsonObject().put("type", "resume_token").put("sessionId", s.sessionId)
                .put("resumeToken", resumeToken(s)).put("expiresInSeconds", cfg.resumeWindow().toSeconds()));
    }

    private void createSession(Connection c, String sid, EdgeSession.Continuation from, boolean resumed) {
        EdgeSession s;
        try {
            s = new EdgeSession(sid, cfg, publisher, metrics, workers, factories, c, from, resumed);
        } catch (Throwable t) {
            admitted.decrementAndGet();
            c.joining = false;
            LOG.error("cannot create peer for {}", sid, t);
            vertx.runOnContext(v -> c.fail(SignalingError.INTERNAL, "cannot create peer: " + t.getMessage()));
            return;
        }
        AudioClock.Participant voice = s::tickVoice; // registered before the session is visible to endSession
        voices.put(s, voice);
        audioClock.add(voice);
        sessions.put(sid, s);
        metrics.sessionsStarted.increment();
        if (resumed) {
            metrics.sessionsResumed.increment();
        }
        metrics.activeSessions().set(sessions.size());
        c.session = s;
        c.joining = false;
        s.resumeTokenSentNanos = System.nanoTime();
        c.send(new JsonObject().put("type", "joined").put("sessionId", sid)
                .put("iceServers", new JsonArray(cfg.iceServers())).put("resumed", resumed)
                .put("resumeToken", resumeToken(s)).put("resumeExpiresInSeconds", cfg.resumeWindow().toSeconds()));
        if (c.ws.isClosed()) {
            endSession(s, "client_gone");
        }
        if (cfg.realtimeMediaThreads()) {
            // a new factory's network and worker threads exist now; those of reused factories were raised before
            metrics.mediaThreadsRaised.increment(OsScheduling.raiseNamed(OsScheduling.WEBRTC_MEDIA_THREADS));
        }
    }

    private void endSession(EdgeSession s, String reason) {
        if (sessions.remove(s.sessionId, s)) {
            AudioClock.Participant voice = voices.remove(s);
            if (voice != null) {
                audioClock.remove(voice);
            }
            disposing.incrementAndGet();
            metrics.activeSessions().set(sessions.size());
            s.close(reason, done -> {
                admitted.decrementAndGet();
                disposing.decrementAndGet();
                metrics.sessionsEnded.increment();
            });
        }
    }

    private void housekeeping() {
        long now = System.nanoTime();
        long refresh = cfg.resumeRefresh().toNanos();
        for (EdgeSession s : sessions.values()) {
            if (s.peerDownTooLong(now)) {
                metrics.error(SignalingError.PEER_FAILED);
                endSession(s, "peer_failed");
            } else if (now - s.resumeTokenSentNanos > refresh) {
                sendResumeToken(s);
            }
            s.sampleReceiveStats();
        }
        long ms = System.currentTimeMillis();
        issued.values().removeIf(exp -> exp < ms);
        usedResumeTokens.values().removeIf(exp -> exp < ms);
        rateLimiter.evictIdle(now);
    }

    private static String randomSecret() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }

    /** Ends every session (publishing ENDED), disposes the peers, stops the server, Kafka clients and threads. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (EdgeSession s : sessions.values()) {
            endSession(s, "edge_shutdown");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (disposing.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        audioClock.close();
        factories.close();
        returnPath.close();
        publisher.close();
        CountDownLatch done = new CountDownLatch(1);
        vertx.cancelTimer(housekeepingTimer);
        vertx.close().onComplete(ar -> done.countDown());
        try {
            done.await(15, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        registry.close();
    }
}
