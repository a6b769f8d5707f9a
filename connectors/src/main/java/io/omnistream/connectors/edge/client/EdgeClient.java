package io.omnistream.connectors.edge.client;

import dev.onvoid.webrtc.CreateSessionDescriptionObserver;
import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.PeerConnectionObserver;
import dev.onvoid.webrtc.RTCConfiguration;
import dev.onvoid.webrtc.RTCDataChannel;
import dev.onvoid.webrtc.RTCDataChannelBuffer;
import dev.onvoid.webrtc.RTCDataChannelInit;
import dev.onvoid.webrtc.RTCDataChannelObserver;
import dev.onvoid.webrtc.RTCIceCandidate;
import dev.onvoid.webrtc.RTCOfferOptions;
import dev.onvoid.webrtc.RTCPeerConnection;
import dev.onvoid.webrtc.RTCPeerConnectionState;
import dev.onvoid.webrtc.RTCRtpSender;
import dev.onvoid.webrtc.RTCRtpTransceiver;
import dev.onvoid.webrtc.RTCRtpTransceiverDirection;
import dev.onvoid.webrtc.RTCRtpTransceiverInit;
import dev.onvoid.webrtc.RTCSdpType;
import dev.onvoid.webrtc.RTCSessionDescription;
import dev.onvoid.webrtc.SetSessionDescriptionObserver;
import dev.onvoid.webrtc.media.audio.AudioTrack;
import dev.onvoid.webrtc.media.audio.AudioTrackSink;
import dev.onvoid.webrtc.media.audio.CustomAudioSource;
import dev.onvoid.webrtc.media.audio.HeadlessAudioDeviceModule;
import dev.onvoid.webrtc.media.video.CustomVideoSource;
import dev.onvoid.webrtc.media.video.NativeI420Buffer;
import dev.onvoid.webrtc.media.video.VideoFrame;
import dev.onvoid.webrtc.media.video.VideoTrack;
import io.omnistream.connectors.edge.PeerFactoryPool;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A customer without a browser: a webrtc-java peer that joins an Omnistream edge exactly like the web client does
 * ({@code POST /sessions}, WebSocket signaling, one sendrecv audio transceiver, a camera and a screen transceiver,
 * the {@code omni} data channel), pushes a looping PCM recording and synthetic video, and records what comes
 * back (agent audio level, data channel events). Used by the edge tests and by the load generator in
 * {@code load-tests}, so it lives in main code.
 *
 * <p>When the signaling socket or the peer is lost without the edge ending the session (the edge process died, the
 * network dropped), the client reconnects by itself with exponential backoff and resumes the same session with the
 * latest resume token the edge gave it ({@link Reconnect}; on by default). The recording continues where it was.
 */
public final class EdgeClient implements AutoCloseable {

    /** What the client sends. */
    public record Options(short[] pcm48kMono, boolean camera, boolean screen, int videoWidth, int videoHeight,
            int cameraFps) {
        /** Audio only (a null pcm sends silence). */
        public static Options audioOnly(short[] pcm48kMono) {
            return new Options(pcm48kMono, false, false, 640, 480, 15);
        }

        /** Audio, camera and screen. */
        public static Options all(short[] pcm48kMono) {
            return new Options(pcm48kMono, true, true, 640, 480, 15);
        }

        /** Negotiates but sends nothing (join/leave cycles). */
        public static Options noMedia() {
            return new Options(null, false, false, 0, 0, 0);
        }

        boolean sendsMedia() {
            return pcm48kMono != null || camera || screen;
        }
    }

    /**
     * Automatic reconnection after an abrupt loss of the edge.
     *
     * @param enabled whether to reconnect at all
     * @param initialBackoff wait before the second attempt (the first is immediate), doubled after each failure
     * @param maxBackoff longest wait between attempts
     * @param giveUpAfter stop trying this long after the loss (the edge's resume window bounds it anyway)
     */
    public record Reconnect(boolean enabled, Duration initialBackoff, Duration maxBackoff, Duration giveUpAfter) {
        /** On: 100 ms doubling up to 2 s, for at most 60 s (the edge's default resume window). */
        public static Reconnect defaults() {
            return new Reconnect(true, Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofSeconds(60));
        }

        public static Reconnect off() {
            return new Reconnect(false, Duration.ZERO, Duration.ZERO, Duration.ZERO);
        }
    }

    /** The edge refused a join or resume with an error code. */
    private static final class Refused extends IllegalStateException {
        final String code;

        Refused(JsonObject error) {
            super("join refused: " + error.encode());
            this.code = error.getString("code", "");
        }
    }

    /** One HTTP client for all instances: on Java 17 an HttpClient's selector thread lives until it is collected. */
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private final URI base;
    private final Options options;
    private final HttpClient http;
    private final List<JsonObject> events = new CopyOnWriteArrayList<>();
    private final List<JsonObject> signalingErrors = new CopyOnWriteArrayList<>();
    private final AtomicLong agentFrames = new AtomicLong();
    private final AtomicLong loudAgentFrames = new AtomicLong();
    private volatile double maxAgentRms;
    private volatile CountDownLatch connected = new CountDownLatch(1);
    private volatile CompletableFuture<String> joined = new CompletableFuture<>();
    private final Reconnect reconnect;
    private final ExecutorService reconnectThread;
    private final AtomicBoolean recovering = new AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicInteger generation = new java.util.concurrent.atomic.AtomicInteger();
    private final List<Duration> reconnectTimes = new CopyOnWriteArrayList<>();
    private volatile String resumeToken;
    private volatile String endedReason; // set when the edge ended the session or refused to continue it
    private URI wsUri;
    private final ExecutorService signalingThread;
    private volatile ScheduledExecutorService mediaThread;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean pushing;
    private boolean offerSent; // signaling thread only
    private JsonObject trackKinds; // signaling thread only
    private final java.util.concurrent.atomic.AtomicInteger answers = new java.util.concurrent.atomic.AtomicInteger();
    private final List<JsonObject> pendingCandidates = new ArrayList<>();

    /** Factories reused across clients of this JVM; see {@link PeerFactoryPool} for why. */
    private static final PeerFactoryPool FACTORIES = new PeerFactoryPool(256);

    private PeerFactoryPool.Lease lease;
    private HeadlessAudioDeviceModule adm;
    private PeerConnectionFactory factory;
    private RTCPeerConnection pc;
    private CustomAudioSource audioSource;
    private AudioTrack audioTrack;
    private CustomVideoSource cameraSource;
    private VideoTrack cameraTrack;
    private CustomVideoSource screenSource;
    private VideoTrack screenTrack;
    private RTCDataChannel dataChannel;
    private AudioTrack remoteAudio;
    private AudioTrackSink remoteSink;
    private WebSocket ws;
    private volatile String sessionId;
    private volatile RTCPeerConnectionState state = RTCPeerConnectionState.NEW;
    private long audioPos;
    private long pushTicks;
    private long frameNo;

    private EdgeClient(URI base, Options options, Reconnect reconnect) {
        this.base = base;
        this.options = options;
        this.reconnect = reconnect;
        this.http = HTTP;
        this.signalingThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "edge-client-signaling");
            t.setDaemon(true);
            return t;
        });
        this.reconnectThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "edge-client-reconnect");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Joins the edge at {@code baseUrl} (e.g. {@code http://localhost:8080/}) and waits until the peer connects;
     * reconnects automatically ({@link Reconnect#defaults()}).
     */
    public static EdgeClient connect(String baseUrl, Options options, Duration timeout) throws Exception {
        return connect(baseUrl, options, timeout, Reconnect.defaults());
    }

    /** Joins like {@link #connect(String, Options, Duration)} with the given reconnection policy. */
    public static EdgeClient connect(String baseUrl, Options options, Duration timeout, Reconnect reconnect)
            throws Exception {
        EdgeClient c = new EdgeClient(URI.create(baseUrl), options, reconnect);
        try {
            c.start(timeout);
            return c;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    private void start(Duration timeout) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("sessions"))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("POST /sessions answered " + r.statusCode() + ": " + r.body());
        }
        JsonObject ticket = new JsonObject(r.body());
        wsUri = URI.create(base.toString().replaceFirst("^http", "ws")).resolve(ticket.getString("signalingPath"));
        ws = http.newWebSocketBuilder().buildAsync(wsUri, new Listener(generation.get())).get(10, TimeUnit.SECONDS);
        send(new JsonObject().put("type", "join").put("token", ticket.getString("token")));
        sessionId = joined.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        signalingThread.submit(this::createPeer).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!connected.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("peer did not connect within " + timeout + " (state " + state
                    + ", errors " + signalingErrors + ")");
        }
    }

    private void createPeer() {
        lease = FACTORIES.acquire();
        adm = lease.audioModule();
        factory = lease.factory();
        pc = factory.createPeerConnection(new RTCConfiguration(), new Observer(generation.get()));
        RTCDataChannelInit dci = new RTCDataChannelInit();
        dci.ordered = true;
        dataChannel = pc.createDataChannel("omni", dci);
        dataChannel.registerObserver(new RTCDataChannelObserver() {
            @Override public void onBufferedAmountChange(long previousAmount) {}
            @Override public void onStateChange() {}
            @Override public void onMessage(RTCDataChannelBuffer buffer) {
                ByteBuffer d = buffer.data;
                byte[] b = new byte[d.remaining()];
                d.get(b);
                events.add(new JsonObject(new String(b, StandardCharsets.UTF_8)));
            }
        });
        audioSource = new CustomAudioSource();
        audioTrack = factory.createAudioTrack("mic", audioSource);
        RTCRtpTransceiverInit audioInit = new RTCRtpTransceiverInit();
        audioInit.direction = RTCRtpTransceiverDirection.SEND_RECV;
        audioInit.streamIds = List.of("customer");
        RTCRtpTransceiver audioT = pc.addTransceiver(audioTrack, audioInit);
        RTCRtpTransceiver camT = null;
        RTCRtpTransceiver screenT = null;
        if (options.camera()) {
            cameraSource = new CustomVideoSource();
            cameraTrack = factory.createVideoTrack("camera", cameraSource);
            camT = pc.addTransceiver(cameraTrack, sendOnly());
        }
        if (options.screen()) {
            screenSource = new CustomVideoSource();
            screenTrack = factory.createVideoTrack("screen", screenSource);
            screenT = pc.addTransceiver(screenTrack, sendOnly());
        }
        RTCRtpTransceiver camFinal = camT, screenFinal = screenT;
        pc.createOffer(new RTCOfferOptions(), new CreateSessionDescriptionObserver() {
            @Override
            public void onSuccess(RTCSessionDescription offer) {
                signalingThread.execute(() -> pc.setLocalDescription(offer, new SetSessionDescriptionObserver() {
                    @Override
                    public void onSuccess() {
                        signalingThread.execute(() -> {
                            JsonObject tracks = new JsonObject().put(audioT.getMid(), "audio");
                            if (camFinal != null) {
                                tracks.put(camFinal.getMid(), "camera");
                            }
                            if (screenFinal != null) {
                                tracks.put(screenFinal.getMid(), "screen");
                            }
                            trackKinds = tracks;
                            send(new JsonObject().put("type", "offer").put("sdp", offer.sdp).put("tracks", tracks));
                            offerSent = true;
                            pendingCandidates.forEach(EdgeClient.this::send);
                            pendingCandidates.clear();
                        });
                    }

                    @Override
                    public void onFailure(String error) {
                        signalingErrors.add(new JsonObject().put("code", "local").put("message", error));
                    }
                }));
            }

            @Override
            public void onFailure(String error) {
                signalingErrors.add(new JsonObject().put("code", "local").put("message", error));
            }
        });
    }

    private static RTCRtpTransceiverInit sendOnly() {
        RTCRtpTransceiverInit i = new RTCRtpTransceiverInit();
        i.direction = RTCRtpTransceiverDirection.SEND_ONLY;
        i.streamIds = List.of("customer");
        return i;
    }

    private final class Observer implements PeerConnectionObserver {
        private final int gen;

        Observer(int gen) {
            this.gen = gen;
        }

        @Override
        public void onIceCandidate(RTCIceCandidate c) {
            JsonObject m = new JsonObject().put("type", "ice").put("candidate", c.sdp).put("sdpMid", c.sdpMid)
                    .put("sdpMLineIndex", c.sdpMLineIndex);
            signalingThread.execute(() -> {
                if (offerSent) {
                    send(m);
                } else {
                    pendingCandidates.add(m);
                }
            });
        }

        @Override
        public void onTrack(RTCRtpTransceiver transceiver) {
            if (transceiver.getReceiver().getTrack() instanceof AudioTrack at) {
                remoteAudio = at;
                remoteSink = EdgeClient.this::onAgentAudio;
                at.addSink(remoteSink);
            }
        }

        @Override
        public void onConnectionChange(RTCPeerConnectionState s) {
            if (gen != generation.get()) {
                return; // a peer replaced by a reconnection
            }
            state = s;
            if (s == RTCPeerConnectionState.CONNECTED) {
                signalingThread.execute(EdgeClient.this::startMedia);
            } else if (s == RTCPeerConnectionState.FAILED) {
                onConnectionLost("peer failed");
            }
        }
    }

    private void startMedia() {
        if (closed.get() || mediaThread != null) {
            connected.countDown();
            return;
        }
        // webrtc-java 0.14.0 #217: pushing audio while the module's recording thread runs aborts the JVM;
        // pushMedia waits a settle time and stops recording before the first push.
        adm.stopRecording();
        if (options.sendsMedia()) {
            mediaThread = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "edge-client-media");
                t.setDaemon(true);
                return t;
            });
            pushing = true;
            mediaThread.scheduleAtFixedRate(this::pushMedia, 0, 10, TimeUnit.MILLISECONDS);
        }
        connected.countDown();
    }

    private void pushMedia() {
        if (!pushing) {
            return;
        }
        try {
            byte[] frame = new byte[480 * 2];
            short[] pcm = options.pcm48kMono();
            if (pcm != null && pcm.length > 0) {
                ByteBuffer b = ByteBuffer.wrap(frame).order(ByteOrder.nativeOrder());
                for (int i = 0; i < 480; i++) {
                    b.putShort(pcm[(int) ((audioPos + i) % pcm.length)]);
                }
            }
            if (++pushTicks < 30) {
                return; // settle: the send stream (and the module's recording thread) may still be starting
            }
            if (pushTicks % 25 == 0 || pushTicks == 30) {
                adm.stopRecording(); // webrtc-java 0.14.0 #217 guard, see EdgeSession#tickVoice
            }
            audioPos += 480;
            audioSource.pushAudio(frame, 16, 48000, 1, 480);
            long tick = audioPos / 480; // 100 ticks per second
            if (cameraSource != null && options.cameraFps() > 0 && tick % Math.max(1, 100 / options.cameraFps()) == 0) {
                push(cameraSource, syntheticFrame(options.videoWidth(), options.videoHeight(), frameNo++, false));
            }
            if (screenSource != null && tick % 20 == 0) { // 5 fps source; the picture changes once a second
                push(screenSource, syntheticFrame(1280, 720, tick / 100, true));
            }
        } catch (RuntimeException e) {
            signalingErrors.add(new JsonObject().put("code", "media").put("message", e.toString()));
        }
    }

    /**
     * Pushes a frame and drops our reference: the source keeps what it still needs, and a frame that is not released
     * stays in native memory for good (about 14 MB/s per client at 15 fps VGA + 5 fps 720p — it took a 30-minute
     * soak's load generator to 22 GB).
     */
    private static void push(dev.onvoid.webrtc.media.video.CustomVideoSource source, VideoFrame frame) {
        try {
            source.pushFrame(frame);
        } finally {
            frame.release();
        }
    }

    private static VideoFrame syntheticFrame(int w, int h, long n, boolean screen) {
        NativeI420Buffer buf = NativeI420Buffer.allocate(w, h);
        ByteBuffer y = buf.getDataY();
        int sy = buf.getStrideY();
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                int v = screen ? (((c / 80 + r / 80 + (int) n) & 1) == 0 ? 40 : 220) : ((c + r + (int) n * 4) & 0xff);
                y.put(r * sy + c, (byte) v);
            }
        }
        fill(buf.getDataU(), (byte) 128);
        fill(buf.getDataV(), (byte) (screen ? 128 : 160));
        return new VideoFrame(buf, System.nanoTime());
    }

    private static void fill(ByteBuffer b, byte v) {
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, v);
        }
    }

    private void onAgentAudio(byte[] data, int bits, int rate, int channels, int frames) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.nativeOrder());
        double sum = 0;
        int n = frames * channels;
        for (int i = 0; i < n; i++) {
            double s = b.getShort(i * 2) / 32768.0;
            sum += s * s;
        }
        double rms = Math.sqrt(sum / Math.max(1, n));
        agentFrames.incrementAndGet();
        if (rms > 0.01) {
            loudAgentFrames.incrementAndGet();
        }
        if (rms > maxAgentRms) {
            maxAgentRms = rms;
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();
        private final int gen;

        Listener(int gen) {
            this.gen = gen;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                JsonObject m = new JsonObject(text);
                signalingThread.execute(() -> onSignal(m));
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            lost("socket closed " + statusCode + " " + reason);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            lost("socket error " + error);
        }

        private void lost(String why) {
            if (gen != generation.get()) {
                return;
            }
            joined.completeExceptionally(new IllegalStateException(why + " errors " + signalingErrors));
            onConnectionLost(why);
        }
    }

    private void onSignal(JsonObject m) {
        if (closed.get()) {
            return; // late candidates/answers after close() find a disposed peer
        }
        try {
            handleSignal(m);
        } catch (RuntimeException e) {
            signalingErrors.add(new JsonObject().put("code", "client").put("message", e.toString()));
        }
    }

    private void handleSignal(JsonObject m) {
        switch (m.getString("type", "")) {
            case "joined" -> {
                if (m.getString("resumeToken") != null) {
                    resumeToken = m.getString("resumeToken");
                }
                joined.complete(m.getString("sessionId"));
            }
            case "resume_token" -> resumeToken = m.getString("resumeToken", resumeToken);
            case "bye" -> endedReason = m.getString("reason", "bye");
            case "answer" -> pc.setRemoteDescription(new RTCSessionDescription(RTCSdpType.ANSWER, m.getString("sdp")),
                    new SetSessionDescriptionObserver() {
                        @Override public void onSuccess() {
                            answers.incrementAndGet();
                        }
                        @Override public void onFailure(String error) {
                            signalingErrors.add(new JsonObject().put("code", "answer").put("message", error));
                        }
                    });
            case "ice" -> {
                if (pc != null && m.getString("candidate") != null) {
                    pc.addIceCandidate(new RTCIceCandidate(m.getString("sdpMid"), m.getInteger("sdpMLineIndex", 0),
                            m.getString("candidate")));
                }
            }
            case "error" -> {
                signalingErrors.add(m);
                if (!joined.isDone()) {
                    joined.completeExceptionally(new Refused(m));
                }
            }
            default -> { }
        }
    }

    private synchronized void send(JsonObject m) {
        WebSocket w = ws;
        if (w != null && !w.isOutputClosed()) {
            w.sendText(m.encode(), true).join();
        }
    }

    // ---------------------------------------------------------------- reconnection

    private void onConnectionLost(String why) {
        if (closed.get() || endedReason != null || !reconnect.enabled() || resumeToken == null
                || !recovering.compareAndSet(false, true)) {
            return;
        }
        long lostAt = System.nanoTime();
        signalingErrors.add(new JsonObject().put("code", "connection_lost").put("message", why));
        try {
            reconnectThread.execute(() -> recover(lostAt));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            recovering.set(false); // closing
        }
    }

    private void recover(long lostAt) {
        try {
            stopMedia();
            generation.incrementAndGet(); // events of the lost socket and peer are ignored from here on
            state = RTCPeerConnectionState.NEW;
            signalingThread.submit(this::disposePeer).get(15, TimeUnit.SECONDS);
            WebSocket old = ws;
            if (old != null) {
                old.abort();
            }
            long deadline = lostAt + reconnect.giveUpAfter().toNanos();
            long backoff = Math.max(1, reconnect.initialBackoff().toMillis());
            while (!closed.get()) {
                try {
                    resumeOnce(Duration.ofSeconds(15));
                    reconnectTimes.add(Duration.ofNanos(System.nanoTime() - lostAt));
                    return;
                } catch (Refused r) {
                    if (r.code.equals("resume_expired") || r.code.equals("bad_resume")) {
                        endedReason = r.code; // the edge will not continue this session
                        return;
                    }
                } catch (Exception e) {
                    signalingErrors.add(new JsonObject().put("code", "reconnect").put("message", e.toString()));
                }
                if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff) > deadline) {
                    endedReason = "reconnect_gave_up";
                    return;
                }
                stopMedia();
                generation.incrementAndGet();
                signalingThread.submit(this::disposePeer).get(15, TimeUnit.SECONDS);
                WebSocket w = ws;
                if (w != null) {
                    w.abort();
                }
                Thread.sleep(backoff);
                backoff = Math.min(backoff * 2, Math.max(1, reconnect.maxBackoff().toMillis()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            signalingErrors.add(new JsonObject().put("code", "reconnect").put("message", e.toString()));
            endedReason = "reconnect_failed";
        } finally {
            recovering.set(false);
        }
    }

    /** One attempt: a new socket, {@code join} with the resume token, a new peer, until it connects. */
    private void resumeOnce(Duration timeout) throws Exception {
        CompletableFuture<String> j = new CompletableFuture<>();
        joined = j;
        connected = new CountDownLatch(1);
        int gen = generation.get();
        ws = http.newWebSocketBuilder().buildAsync(wsUri, new Listener(gen)).get(10, TimeUnit.SECONDS);
        send(new JsonObject().put("type", "join").put("resumeToken", resumeToken));
        try {
            j.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
        signalingThread.submit(this::createPeer).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!connected.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("resumed peer did not connect within " + timeout + " (state " + state + ")");
        }
    }

    private void stopMedia() throws InterruptedException {
        pushing = false;
        ScheduledExecutorService mt = mediaThread;
        if (mt != null) {
            mt.shutdownNow();
            mt.awaitTermination(2, TimeUnit.SECONDS);
        }
    }

    /**
     * Sends a new offer on the live connection (as a browser does after an ICE restart or a track change) and waits
     * for the answer to be applied. The edge must keep streaming and must not crash (webrtc-java #217 guard).
     */
    public void renegotiate(Duration timeout) throws Exception {
        int before = answers.get();
        signalingThread.submit(() -> pc.createOffer(new RTCOfferOptions(), new CreateSessionDescriptionObserver() {
            @Override
            public void onSuccess(RTCSessionDescription offer) {
                signalingThread.execute(() -> pc.setLocalDescription(offer, new SetSessionDescriptionObserver() {
                    @Override
                    public void onSuccess() {
                        signalingThread.execute(() -> send(new JsonObject().put("type", "offer").put("sdp", offer.sdp)
                                .put("tracks", trackKinds)));
                    }

                    @Override
                    public void onFailure(String error) {
                        signalingErrors.add(new JsonObject().put("code", "local").put("message", error));
                    }
                }));
            }

            @Override
            public void onFailure(String error) {
                signalingErrors.add(new JsonObject().put("code", "local").put("message", error));
            }
        })).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (answers.get() == before) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no answer to the renegotiation: " + signalingErrors);
            }
            Thread.sleep(20);
        }
    }

    public String sessionId() { return sessionId; }
    public RTCPeerConnectionState state() { return state; }
    public List<JsonObject> events() { return new ArrayList<>(events); }
    public List<JsonObject> signalingErrors() { return new ArrayList<>(signalingErrors); }
    public long agentFrames() { return agentFrames.get(); }
    public long loudAgentFrames() { return loudAgentFrames.get(); }
    public double maxAgentRms() { return maxAgentRms; }
    /** Time from each connection loss to the resumed peer being connected, in order. */
    public List<Duration> reconnectTimes() { return new ArrayList<>(reconnectTimes); }
    /** Why the session ended from this client's view (edge's {@code bye} reason, or a refused resume), else null. */
    public String endedReason() { return endedReason; }
    /** True while the client is reconnecting after a loss. */
    public boolean reconnecting() { return recovering.get(); }

    /**
     * Drops the signaling socket and the peer without saying goodbye, as a crashed browser would (bad-input tests).
     */
    public void vanish() {
        endedReason = "vanished"; // no reconnection for a client that vanished on purpose
        WebSocket w = ws;
        if (w != null) {
            w.abort();
        }
        close(false);
    }

    /** Leaves the session and disposes every native object. */
    @Override
    public void close() {
        close(true);
    }

    private void close(boolean sayBye) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        reconnectThread.shutdownNow();
        try {
            reconnectThread.awaitTermination(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pushing = false;
        if (mediaThread != null) {
            mediaThread.shutdownNow();
            try {
                mediaThread.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (sayBye) {
            try {
                send(new JsonObject().put("type", "leave"));
            } catch (RuntimeException ignored) {
                // socket already gone
            }
        }
        try {
            signalingThread.submit(this::disposePeer).get(15, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("client dispose failed", e);
        } finally {
            signalingThread.shutdownNow();
            WebSocket w = ws;
            if (w != null && !w.isOutputClosed()) {
                w.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
            }
            if (w != null) {
                w.abort();
            }
        }
    }

    /** Disposes the current peer and its native objects, leaving the client ready for a new peer. */
    private void disposePeer() {
        mediaThread = null;
        offerSent = false;
        pendingCandidates.clear();
        pushTicks = 0;
        if (remoteAudio != null && remoteSink != null) {
            remoteAudio.removeSink(remoteSink);
        }
        if (dataChannel != null) {
            dataChannel.unregisterObserver();
            dataChannel.close();
            dataChannel.dispose();
        }
        if (pc != null) {
            for (RTCRtpSender sender : pc.getSenders()) {
                try {
                    pc.removeTrack(sender);
                } catch (RuntimeException ignored) {
                    // a sender without a track
                }
            }
            pc.close();
        }
        if (audioTrack != null) { audioTrack.dispose(); }
        if (cameraTrack != null) { cameraTrack.dispose(); }
        if (screenTrack != null) { screenTrack.dispose(); }
        if (audioSource != null) { audioSource.dispose(); }
        if (cameraSource != null) { cameraSource.dispose(); }
        if (screenSource != null) { screenSource.dispose(); }
        if (lease != null) {
            FACTORIES.release(lease);
        }
        remoteAudio = null;
        remoteSink = null;
        dataChannel = null;
        pc = null;
        audioTrack = null;
        cameraTrack = null;
        screenTrack = null;
        audioSource = null;
        cameraSource = null;
        screenSource = null;
        lease = null;
    }
}
