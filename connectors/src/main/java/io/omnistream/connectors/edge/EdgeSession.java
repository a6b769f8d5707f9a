package io.omnistream.connectors.edge;

import dev.onvoid.webrtc.CreateSessionDescriptionObserver;
import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.PeerConnectionObserver;
import dev.onvoid.webrtc.RTCAnswerOptions;
import dev.onvoid.webrtc.RTCConfiguration;
import dev.onvoid.webrtc.RTCDataChannel;
import dev.onvoid.webrtc.RTCDataChannelBuffer;
import dev.onvoid.webrtc.RTCDataChannelObserver;
import dev.onvoid.webrtc.RTCDataChannelState;
import dev.onvoid.webrtc.RTCIceCandidate;
import dev.onvoid.webrtc.RTCIceServer;
import dev.onvoid.webrtc.RTCPeerConnection;
import dev.onvoid.webrtc.RTCPeerConnectionState;
import dev.onvoid.webrtc.RTCRtpSender;
import dev.onvoid.webrtc.RTCRtpTransceiver;
import dev.onvoid.webrtc.RTCRtpTransceiverDirection;
import dev.onvoid.webrtc.RTCSdpType;
import dev.onvoid.webrtc.RTCSessionDescription;
import dev.onvoid.webrtc.SetSessionDescriptionObserver;
import dev.onvoid.webrtc.media.MediaStreamTrack;
import dev.onvoid.webrtc.media.audio.AudioTrack;
import dev.onvoid.webrtc.media.audio.AudioTrackSink;
import dev.onvoid.webrtc.media.audio.CustomAudioSource;
import dev.onvoid.webrtc.media.audio.HeadlessAudioDeviceModule;
import dev.onvoid.webrtc.media.video.I420Buffer;
import dev.onvoid.webrtc.media.video.VideoFrame;
import dev.onvoid.webrtc.media.video.VideoFrameBuffer;
import dev.onvoid.webrtc.media.video.VideoTrack;
import dev.onvoid.webrtc.media.video.VideoTrackSink;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.ControlType;
import io.omnistream.schemas.LatencyTrace;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.MediaKind;
import io.omnistream.schemas.OmniEvent;
import io.omnistream.schemas.ScreenText;
import io.omnistream.schemas.SessionControl;
import io.omnistream.schemas.SpeechEvent;
import io.omnistream.schemas.SpeechEventType;
import io.omnistream.schemas.TrackInfo;
import io.omnistream.schemas.Transcript;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One customer session on this edge: its own webrtc-java peer (factory, headless audio module, peer connection),
 * the media sinks that turn the customer's tracks into {@link MediaChunk}s, the agent's voice track and the data
 * channel for events. Everything native is created here and disposed here, in the order the library needs
 * (remove track, close, track, source, factory, module). WebRTC callbacks run on native threads and only hand
 * work over to this session's {@link SerialLane}.
 */
final class EdgeSession {
    private static final Logger LOG = LoggerFactory.getLogger(EdgeSession.class);

    /** Where a session sends signaling messages and reports its own end. */
    interface Signal {
        void send(JsonObject message);

        void ended(EdgeSession session, String reason);
    }

    final String sessionId;
    private final EdgeConfig cfg;
    private final MediaPublisher publisher;
    private final EdgeMetrics metrics;
    private final SerialLane lane;
    private final Signal signal;
    private final long startNanos = System.nanoTime();
    private final long startEpochMicros = System.currentTimeMillis() * 1000;
    /** Session clock when this peer started: 0 for a new session, where the clock was for a resumed one. */
    private final long clockOffsetMicros;
    /** First sequence number of every track of this peer (0, or above all earlier peers' numbers when resumed). */
    private final long seqBase;
    /** Wall-clock start of the session itself (of its first peer), carried in resume tokens. */
    final long sessionStartEpochMillis;
    /** Where the session clock's 0 lies on the epoch time line as published: the start on the 20 ms chunk grid. */
    private final long mediaOriginMicros;
    final boolean resumed;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final JpegEncoder jpeg;
    private final AgentVoice voice;
    private final Map<String, MediaKind> midKinds = new ConcurrentHashMap<>();
    private final Map<String, TrackInfo> tracks = new ConcurrentHashMap<>();
    private final List<Runnable> sinkRemovals = new CopyOnWriteArrayList<>();
    private final List<RTCIceCandidate> earlyCandidates = new ArrayList<>(); // touched on the lane only

    private final PeerFactoryPool factories;
    private final PeerFactoryPool.Lease lease;
    private final HeadlessAudioDeviceModule adm;
    private final PeerConnectionFactory factory;
    private final RTCPeerConnection pc;
    private final CustomAudioSource agentSource;
    private final AudioTrack agentTrack;
    private volatile RTCRtpSender agentSender;
    private volatile RTCDataChannel dataChannel;
    /** Pushing agent audio is allowed only while the audio module's recording is stopped (webrtc-java #217). */
    private volatile boolean voiceEnabled;
    private volatile boolean negotiating;
    private volatile long disconnectedSinceNanos = -1;
    /** Guards pushing agent audio; the clock only tries it, so a negotiation holding it never stalls the clock. */
    private final ReentrantLock pushLock = new ReentrantLock();
    private static final int RECORDING_GUARD_TICKS = 25;
    private static final int ARM_DELAY_TICKS = 30;
    private long ticks; // under pushLock
    private long armedAtTick = Long.MAX_VALUE; // under pushLock

    private final AudioChunker chunker;
    private final Object audioLock = new Object();
    private volatile long videoClockLast = -1;
    private final Map<MediaKind, long[]> videoAnchors = new ConcurrentHashMap<>(); // [offsetMicros, seq, lastMicros]
    private final VideoGate cameraGate;
    private final VideoGate screenGate;
    private final Map<Long, Boolean> latencySent = new ConcurrentHashMap<>();

    /**
     * Where a resumed session continues: its original start and its clock when this peer starts. Sequence numbers
     * restart at the clock in milliseconds, above any number an earlier peer used (audio takes one per 20 ms, video
     * at most one per millisecond), so the aligner's per-track duplicate window accepts them.
     */
    record Continuation(long sessionStartEpochMillis, long clockMicros) {
        static Continuation fresh() {
            return new Continuation(System.currentTimeMillis(), 0);
        }

        long seqBase() {
            return clockMicros == 0 ? 0 : clockMicros / 1000 + 1;
        }
    }

    EdgeSession(String sessionId, EdgeConfig cfg, MediaPublisher publisher, EdgeMetrics metrics, Executor pool,
            PeerFactoryPool factories, Signal signal) {
        this(sessionId, cfg, publisher, metrics, pool, factories, signal, Continuation.fresh(), false);
    }

    EdgeSession(String sessionId, EdgeConfig cfg, MediaPublisher publisher, EdgeMetrics metrics, Executor pool,
            PeerFactoryPool factories, Signal signal, Continuation from, boolean resumed) {
        this.sessionId = sessionId;
        this.clockOffsetMicros = from.clockMicros();
        this.seqBase = from.seqBase();
        this.sessionStartEpochMillis = from.sessionStartEpochMillis();
        long chunkMicros = AudioChunker.CHUNK_SAMPLES * 1_000_000L / AudioChunker.RATE;
        this.mediaOriginMicros = Math.floorDiv(sessionStartEpochMillis * 1000L, chunkMicros) * chunkMicros;
        this.resumed = resumed;
        this.cfg = cfg;
        this.publisher = publisher;
        this.metrics = metrics;
        this.lane = new SerialLane(pool);
        this.signal = signal;
        this.jpeg = new JpegEncoder(cfg.jpegQuality());
        this.voice = new AgentVoice(cfg.agentJitterFrames(), cfg.agentMaxQueuedFrames());
        this.cameraGate = new VideoGate(cfg.cameraMaxFps(), false, 0);
        this.screenGate = new VideoGate(cfg.screenMaxFps(), true, cfg.screenChangeThreshold());
        this.chunker = new AudioChunker(this::publishAudio, this::sessionWallMicros, seqBase,
                new AudioChunker.Corrections() {
                    @Override
                    public void skipped(long micros) {
                        metrics.audioClockSkips.increment();
                        metrics.audioClockSkippedMs.record(micros / 1000.0);
                    }

                    @Override
                    public void dropped(long micros) {
                        metrics.audioClockDroppedMs.increment(micros / 1000.0);
                    }
                });

        this.factories = factories;
        this.lease = factories.acquire();
        adm = lease.audioModule();
        factory = lease.factory();
        RTCConfiguration rc = new RTCConfiguration();
        for (String url : cfg.iceServers()) {
            RTCIceServer s = new RTCIceServer();
            s.urls = List.of(url);
            rc.iceServers.add(s);
        }
        pc = factory.createPeerConnection(rc, new Observer());
        agentSource = new CustomAudioSource();
        agentTrack = factory.createAudioTrack("agent-voice-" + sessionId, agentSource);
        publishControl(ControlType.STARTED, resumed ? "resumed" : null);
    }

    // ---------------------------------------------------------------- signaling (called from the event loop)

    void onOffer(String sdp, JsonObject trackKinds) {
        lane.execute(() -> {
            if (closed.get()) {
                return;
            }
            boolean renegotiation = pc.getRemoteDescription() != null;
            if (renegotiation) {
                // guard against webrtc-java #217: a new negotiation may restart the module's recording thread,
                // so stop pushing until recording has been stopped again.
                pushLock.lock();
                try {
                    voiceEnabled = false;
                } finally {
                    pushLock.unlock();
                }
            }
            negotiating = true;
            if (trackKinds != null) {
                for (String mid : trackKinds.fieldNames()) {
                    MediaKind k = kindOf(String.valueOf(trackKinds.getValue(mid)));
                    if (k != null) {
                        midKinds.put(mid, k);
                    }
                }
            }
            try {
                setRemoteOffer(sdp);
            } catch (Throwable t) { // webrtc-java throws java.lang.Error for SDP it cannot even parse
                negotiating = false;
                metrics.error(SignalingError.BAD_SDP);
                signal.send(error(SignalingError.BAD_SDP, "offer rejected: " + t.getMessage()));
            }
        });
    }

    private void setRemoteOffer(String sdp) {
        {
            pc.setRemoteDescription(new RTCSessionDescription(RTCSdpType.OFFER, sdp), new SetSessionDescriptionObserver() {
                @Override
                public void onSuccess() {
                    lane.execute(EdgeSession.this::answer);
                }

                @Override
                public void onFailure(String error) {
                    negotiating = false;
                    metrics.error(SignalingError.BAD_SDP);
                    signal.send(error(SignalingError.BAD_SDP, "offer rejected: " + error));
                }
            });
        }
    }

    private void answer() {
        if (closed.get()) {
            return;
        }
        for (RTCIceCandidate c : earlyCandidates) {
            try {
                pc.addIceCandidate(c);
            } catch (RuntimeException e) {
                metrics.error(SignalingError.BAD_CANDIDATE);
                signal.send(error(SignalingError.BAD_CANDIDATE, String.valueOf(e.getMessage())));
            }
        }
        earlyCandidates.clear();
        if (agentSender == null) {
            for (RTCRtpTransceiver t : pc.getTransceivers()) {
                if (t.getReceiver().getTrack() != null
                        && MediaStreamTrack.AUDIO_TRACK_KIND.equals(t.getReceiver().getTrack().getKind())) {
                    RTCRtpSender sender = t.getSender();
                    sender.replaceTrack(agentTrack);
                    sender.setStreams(List.of("agent"));
                    t.setDirection(RTCRtpTransceiverDirection.SEND_RECV);
                    agentSender = sender;
                    break;
                }
            }
        }
        pc.createAnswer(new RTCAnswerOptions(), new CreateSessionDescriptionObserver() {
            @Override
            public void onSuccess(RTCSessionDescription desc) {
                lane.execute(() -> {
                    if (closed.get()) {
                        return;
                    }
                    pc.setLocalDescription(desc, new SetSessionDescriptionObserver() {
                        @Override
                        public void onSuccess() {
                            signal.send(new JsonObject().put("type", "answer").put("sdp", desc.sdp));
                            lane.execute(() -> {
                                negotiating = false;
                                if (pc.getConnectionState() == RTCPeerConnectionState.CONNECTED) {
                                    enableVoice();
                                }
                            });
                        }

                        @Override
                        public void onFailure(String error) {
                            negotiating = false;
                            metrics.error(SignalingError.BAD_SDP);
                            signal.send(error(SignalingError.BAD_SDP, "answer failed: " + error));
                        }
                    });
                });
            }

            @Override
            public void onFailure(String error) {
                negotiating = false;
                metrics.error(SignalingError.BAD_SDP);
                signal.send(error(SignalingError.BAD_SDP, "cannot answer: " + error));
            }
        });
    }

    void onRemoteCandidate(String candidate, String sdpMid, int sdpMLineIndex) {
        lane.execute(() -> {
            if (closed.get()) {
                return;
            }
            if (pc.getRemoteDescription() == null) {
                // trickled candidates may overtake the offer; keep a few until it is applied
                if (earlyCandidates.size() >= 64) {
                    metrics.error(SignalingError.BAD_CANDIDATE);
                    signal.send(error(SignalingError.BAD_CANDIDATE, "too many candidates before an offer"));
                    return;
                }
                earlyCandidates.add(new RTCIceCandidate(sdpMid, sdpMLineIndex, candidate));
                return;
            }
            try {
                pc.addIceCandidate(new RTCIceCandidate(sdpMid, sdpMLineIndex, candidate));
            } catch (RuntimeException e) {
                metrics.error(SignalingError.BAD_CANDIDATE);
                signal.send(error(SignalingError.BAD_CANDIDATE, String.valueOf(e.getMessage())));
            }
        });
    }

    /** One 10 ms frame of silence at {@link AgentVoice#RATE}, pushed whenever the agent has nothing to say. */
    private static final byte[] SILENCE = new byte[AgentVoice.FRAME * 2];

    /**
     * One 10 ms tick of the agent's voice, called by the edge's {@link AudioClock} (always the same thread). Returns
     * false without pushing when another thread holds the push lock (renegotiation, close), so the clock never
     * waits for one session; the tick is then owed and run on the clock's next pass.
     */
    boolean tickVoice() {
        if (!pushLock.tryLock()) {
            return false;
        }
        try {
            if (!voiceEnabled || closed.get()) {
                return true;
            }
            ticks++;
            if (ticks < armedAtTick) {
                return true;
            }
            if (ticks == armedAtTick || ticks % RECORDING_GUARD_TICKS == 0) {
                // WebRTC may (re)start the module's recording thread whenever a send stream (re)starts, e.g. once
                // DTLS is up or after renegotiation; pushing while it runs is webrtc-java #217. Stop it again.
                adm.stopRecording();
            }
            byte[] frame = voice.nextFrame();
            if (frame == null) {
                // silence keeps the agent track's RTP stream continuous: after minutes without a packet the
                // browser's jitter buffer met an answer's first packets as a burst of late audio and could hold
                // (or time-stretch away) the start of the answer for seconds
                agentSource.pushAudio(SILENCE, 16, AgentVoice.RATE, 1, AgentVoice.FRAME);
                return true;
            }
            agentSource.pushAudio(frame, 16, AgentVoice.RATE, 1, AgentVoice.FRAME);
            metrics.agentFramesPlayed.increment();
            return true;
        } finally {
            pushLock.unlock();
        }
    }

    private void enableVoice() {
        if (closed.get() || negotiating) {
            return;
        }
        pushLock.lock();
        try {
            // The send stream (and with it the module's recording thread) starts when the transport becomes
            // writable, which races with CONNECTED. Push only after a settle time, stopping recording first.
            armedAtTick = ticks + ARM_DELAY_TICKS;
            voiceEnabled = true;
        } finally {
            pushLock.unlock();
        }
    }

    // ---------------------------------------------------------------- return path (consumer thread)

    void deliverEvent(OmniEvent e) {
        Object p = e.getPayload();
        JsonObject j;
        if (p instanceof SpeechEvent s) {
            if (s.getType() == SpeechEventType.BARGE_IN) {
                voice.flush();
                metrics.agentFlushes.increment();
            }
            j = new JsonObject().put("type", "speech").put("event", s.getType().name()).put("turnId", s.getTurnId())
                    .put("sessionTimeMicros", s.getSessionTimeMicros()).put("audioVisual", s.getAudioVisual())
                    .put("confidence", s.getConfidence());
        } else if (p instanceof Transcript t) {
            j = new JsonObject().put("type", "caption").put("turnId", t.getTurnId()).put("seq", t.getSeq())
                    .put("text", t.getText().toString()).put("isFinal", t.getIsFinal());
        } else if (p instanceof ScreenText st) {
            JsonArray ids = new JsonArray();
            st.getIdentifiers().forEach(i -> ids.add(new JsonObject().put("type", i.getType().name())
                    .put("value", i.getValue().toString())));
            JsonArray lines = new JsonArray();
            st.getLines().forEach(l -> lines.add(l.toString()));
            j = new JsonObject().put("type", "screenText").put("frameSeq", st.getFrameSeq()).put("lines", lines)
                    .put("identifiers", ids);
        } else if (p instanceof LatencyTrace lt) {
            j = latencyJson(lt);
        } else {
            return;
        }
        sendData(j);
    }

    private double lastJitterDelaySec = -1;
    private double lastJitterEmitted = -1;
    private long lastRatioAudioMicros = -1; // housekeeping thread only
    private long lastRatioNanos;

    /**
     * Samples the customer audio's receive jitter buffer (WebRTC {@code inbound-rtp} jitterBufferDelay /
     * jitterBufferEmittedCount over the last interval) into {@code omni.edge.audio.receive.jitter.buffer}: the part
     * of capture → edge delay that the edge itself adds — and the customer audio delivered per wall-clock second
     * into {@code omni.edge.audio.receive.pull.ratio} (below 1 the module's pull falls behind the sender and the
     * buffer fills). Called by the edge's housekeeping timer.
     */
    void sampleReceiveStats() {
        if (closed.get()) {
            return;
        }
        long audio = receivedAudioMicros, now = System.nanoTime();
        if (lastRatioAudioMicros > 0 && audio > lastRatioAudioMicros && now > lastRatioNanos) {
            metrics.receivePullRatio.record((audio - lastRatioAudioMicros) * 1000.0 / (now - lastRatioNanos));
        }
        lastRatioAudioMicros = audio;
        lastRatioNanos = now;
        if (negotiating || lane.backlog() > 0) {
            return;
        }
        lane.execute(() -> {
            if (!closed.get()) { // close() disposes the peer on this lane, so it is alive here
                pc.getStats(this::onReceiveStats);
            }
        });
    }

    private synchronized void onReceiveStats(dev.onvoid.webrtc.RTCStatsReport report) {
        for (dev.onvoid.webrtc.RTCStats st : report.getStats().values()) {
            Map<String, Object> a = st.getAttributes();
            if (st.getType() == dev.onvoid.webrtc.RTCStatsType.INBOUND_RTP && "audio".equals(String.valueOf(a.get("kind")))
                    && a.get("jitterBufferDelay") instanceof Number delay
                    && a.get("jitterBufferEmittedCount") instanceof Number emitted) {
                if (a.get("jitter") instanceof Number arrival) { // RFC 3550 interarrival jitter, seconds
                    metrics.receiveArrivalJitterMs.record(arrival.doubleValue() * 1000);
                }
                double d = delay.doubleValue(), n = emitted.doubleValue();
                if (lastJitterEmitted >= 0 && n > lastJitterEmitted) {
                    metrics.audioJitterBufferMs.record((d - lastJitterDelaySec) / (n - lastJitterEmitted) * 1000);
                }
                lastJitterDelaySec = d;
                lastJitterEmitted = n;
            }
        }
    }

    void deliverAgent(AgentResponse r) {
        long supersededBefore = voice.supersededAnswers();
        AgentVoice.Offer offer = voice.classify(r);
        if (offer == AgentVoice.Offer.DUPLICATE) {
            metrics.agentDuplicates.increment();
            return;
        }
        boolean stale = offer == AgentVoice.Offer.STALE;
        if (stale) {
            metrics.agentStale.increment();
        }
        if (voice.supersededAnswers() > supersededBefore) {
            metrics.agentSuperseded.increment();
        }
        if (r.getCancelled() && !stale) {
            metrics.agentFlushes.increment();
        }
        JsonObject j = new JsonObject().put("type", "answer").put("responseId", r.getResponseId().toString())
                .put("turnId", r.getTurnId()).put("seq", r.getSeq()).put("isFinal", r.getIsFinal())
                .put("cancelled", r.getCancelled()).put("hasAudio", r.getAudio() != null);
        if (stale) {
            // still delivered (every accepted chunk reaches the client once, none is lost silently), marked so the
            // client neither shows nor attributes it: its audio was not played
            sendData(j.put("stale", true));
            return;
        }
        if (r.getTextDelta() != null) {
            j.put("text", r.getTextDelta().toString());
        }
        sendData(j);
        LatencyTrace lt = r.getTrace();
        if (lt != null && r.getAudio() != null && latencySent.putIfAbsent(r.getTurnId(), Boolean.TRUE) == null) {
            Map<String, Long> stages = new HashMap<>(lt.getStages());
            stages.put("edge.out", System.currentTimeMillis() * 1000);
            sendData(latencyJson(LatencyTrace.newBuilder(lt).setStages(stages).build()));
        }
    }

    private static JsonObject latencyJson(LatencyTrace lt) {
        JsonObject stages = new JsonObject();
        long min = Long.MAX_VALUE, max = Long.MIN_VALUE;
        for (Map.Entry<String, Long> s : lt.getStages().entrySet()) {
            stages.put(s.getKey().toString(), s.getValue());
            min = Math.min(min, s.getValue());
            max = Math.max(max, s.getValue());
        }
        return new JsonObject().put("type", "latency").put("turnId", lt.getTurnId()).put("stages", stages)
                .put("totalMs", min == Long.MAX_VALUE ? 0 : (max - min) / 1000.0);
    }

    void sendData(JsonObject j) {
        RTCDataChannel dc = dataChannel;
        if (dc == null || closed.get() || dc.getState() != RTCDataChannelState.OPEN) {
            return;
        }
        byte[] b = j.encode().getBytes(StandardCharsets.UTF_8);
        ByteBuffer bb = ByteBuffer.allocateDirect(b.length).put(b).flip();
        try {
            dc.send(new RTCDataChannelBuffer(bb, false));
            metrics.eventsDelivered.increment();
        } catch (Exception e) {
            LOG.debug("data channel send failed for {}: {}", sessionId, e.toString());
        }
    }

    AgentVoice voice() {
        return voice;
    }

    /** When the last resume token was sent to the client ({@link System#nanoTime()}); touched on the event loop. */
    volatile long resumeTokenSentNanos;

    void sendSignal(JsonObject message) {
        signal.send(message);
    }

    /**
     * The clock a resumed peer must continue from: the session clock, or the audio sample clock if the customer's
     * audio ran ahead of it.
     */
    long resumeClockMicros() {
        long audio;
        synchronized (audioLock) {
            audio = chunker.clockMicros();
        }
        return Math.max(sessionWallMicros(), audio);
    }

    // ---------------------------------------------------------------- media out

    /** The session clock: time since the session started, continued across resumes. */
    long sessionWallMicros() {
        return clockOffsetMicros + (System.nanoTime() - startNanos) / 1000;
    }

    /**
     * A session clock reading as published (media capture times, control messages): placed on the common epoch time
     * line by the session's start (wall clock, kept across resumes). The job's watermarks compare the capture times of
     * all sessions of a Kafka partition; on clocks that each started at 0, a session that joined ten minutes after
     * another sat ten minutes behind the watermark, and the aligner flushed every tick of it as "stalled" before its
     * second 20 ms chunk came — half of every tick of its audio was lost. The start is rounded down to the 20 ms chunk
     * grid, so that a tick of the aligner's epoch grid holds whole chunks (sessions stay within 20 ms of each other).
     */
    long published(long sessionClockMicros) {
        return mediaOriginMicros + sessionClockMicros;
    }

    private void publishAudio(AudioChunker.Chunk c) {
        long now = System.currentTimeMillis() * 1000;
        MediaChunk m = MediaChunk.newBuilder().setSessionId(sessionId).setTrackId("mic").setKind(MediaKind.AUDIO)
                .setSeq(c.seq()).setCaptureTimeMicros(published(c.captureTimeMicros())).setArrivalTimeMicros(now)
                .setDurationMicros(AudioChunker.CHUNK_SAMPLES * 1_000_000L / AudioChunker.RATE)
                .setSampleRate(AudioChunker.RATE).setPayload(ByteBuffer.wrap(c.pcm16le())).build();
        publisher.publish(m);
        metrics.audioChunks.increment();
    }

    /** Customer audio delivered by the audio module's pull (microseconds of audio), and when it last pulled. */
    private volatile long receivedAudioMicros;
    private long lastPullNanos; // on the audio module's thread only

    private final class MicSink implements AudioTrackSink {
        @Override
        public void onData(byte[] data, int bitsPerSample, int sampleRate, int channels, int frames) {
            if (closed.get()) {
                return;
            }
            // the headless audio module's native thread pulls every 10 ms (NetEq decodes on that pull); a late pull
            // leaves the customer's audio waiting in the receive jitter buffer
            long now = System.nanoTime();
            if (lastPullNanos != 0 && now - lastPullNanos > 20_000_000L) {
                metrics.receivePullGaps.increment();
            }
            lastPullNanos = now;
            if (sampleRate > 0) {
                receivedAudioMicros += frames * 1_000_000L / sampleRate;
            }
            try {
                synchronized (audioLock) {
                    chunker.onFrame(data, bitsPerSample, sampleRate, channels, frames);
                }
            } catch (RuntimeException e) {
                metrics.framesDropped.increment();
            }
        }
    }

    private final class VideoSink implements VideoTrackSink {
        private final MediaKind kind;
        private final VideoGate gate;

        VideoSink(MediaKind kind) {
            this.kind = kind;
            this.gate = kind == MediaKind.SCREEN ? screenGate : cameraGate;
        }

        @Override
        public void onVideoFrame(VideoFrame frame) {
            try {
                long now = System.nanoTime();
                if (closed.get() || !gate.due(now)) {
                    return;
                }
                if (lane.backlog() > 8) {
                    metrics.framesDropped.increment();
                    return;
                }
                VideoFrameBuffer buf = frame.buffer;
                int w = buf.getWidth(), h = buf.getHeight();
                int maxW = kind == MediaKind.SCREEN ? cfg.screenMaxWidth() : cfg.cameraMaxWidth();
                int maxH = kind == MediaKind.SCREEN ? cfg.screenMaxHeight() : cfg.cameraMaxHeight();
                double scale = Math.min(1.0, Math.min((double) maxW / w, (double) maxH / h));
                int tw = Math.max(2, ((int) (w * scale)) & ~1), th = Math.max(2, ((int) (h * scale)) & ~1);
                VideoFrameBuffer scaled = (tw == w && th == h) ? null : buf.cropAndScale(0, 0, w, h, tw, th);
                I420Buffer i420 = (scaled != null ? scaled : buf).toI420();
                JpegEncoder.I420 copy;
                try {
                    copy = new JpegEncoder.I420(tw, th, bytes(i420.getDataY()), i420.getStrideY(),
                            bytes(i420.getDataU()), i420.getStrideU(), bytes(i420.getDataV()), i420.getStrideV());
                } finally {
                    // toI420() of an I420 buffer is the buffer itself; release only what this method created
                    if (i420 != buf && i420 != scaled) {
                        i420.release();
                    }
                    if (scaled != null) {
                        scaled.release();
                    }
                }
                float[] thumb = kind == MediaKind.SCREEN ? copy.thumbnail(64, 36) : null;
                if (!gate.accept(now, thumb)) {
                    return;
                }
                long tsMicros = frame.timestampNs / 1000;
                long arrival = System.currentTimeMillis() * 1000;
                long sessionNow = sessionWallMicros();
                lane.execute(() -> encodeAndPublish(kind, copy, tsMicros, sessionNow, arrival));
            } catch (RuntimeException e) {
                metrics.framesDropped.increment();
                LOG.debug("video frame dropped: {}", e.toString());
            } finally {
                frame.release();
            }
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        d.rewind();
        byte[] a = new byte[d.remaining()];
        d.get(a);
        return a;
    }

    private void encodeAndPublish(MediaKind kind, JpegEncoder.I420 frame, long tsMicros, long sessionNow, long arrival) {
        if (closed.get()) {
            return;
        }
        long[] a = videoAnchors.computeIfAbsent(kind, k -> new long[] {sessionNow - tsMicros, seqBase, -1});
        long capture = tsMicros + a[0];
        if (Math.abs(capture - sessionNow) > 2_000_000L) { // source clock jumped: re-anchor
            a[0] = sessionNow - tsMicros;
            capture = sessionNow;
        }
        if (capture <= a[2]) {
            capture = a[2] + 1;
        }
        a[2] = capture;
        byte[] jpg = jpeg.encodeI420(frame);
        MediaChunk m = MediaChunk.newBuilder().setSessionId(sessionId).setTrackId(kind.name().toLowerCase())
                .setKind(kind).setSeq(a[1]++).setCaptureTimeMicros(published(capture)).setArrivalTimeMicros(arrival)
                .setWidth(frame.width()).setHeight(frame.height()).setPayload(ByteBuffer.wrap(jpg)).build();
        publisher.publish(m);
        (kind == MediaKind.SCREEN ? metrics.screenFrames : metrics.cameraFrames).increment();
    }

    private void publishControl(ControlType type, String reason) {
        publisher.publish(SessionControl.newBuilder().setSessionId(sessionId).setType(type).setEdgeId(cfg.edgeId())
                .setTracks(new ArrayList<>(tracks.values())).setTimeMicros(System.currentTimeMillis() * 1000)
                .setSessionClockMicros(published(sessionWallMicros())).setReason(reason).build());
    }

    private static MediaKind kindOf(String s) {
        return switch (s.toLowerCase()) {
            case "audio", "mic", "microphone" -> MediaKind.AUDIO;
            case "camera", "video" -> MediaKind.CAMERA;
            case "screen" -> MediaKind.SCREEN;
            default -> null;
        };
    }

    // ---------------------------------------------------------------- native callbacks

    private final class Observer implements PeerConnectionObserver {
        @Override
        public void onIceCandidate(RTCIceCandidate c) {
            signal.send(new JsonObject().put("type", "ice").put("candidate", c.sdp).put("sdpMid", c.sdpMid)
                    .put("sdpMLineIndex", c.sdpMLineIndex));
        }

        @Override
        public void onTrack(RTCRtpTransceiver transceiver) {
            MediaStreamTrack track = transceiver.getReceiver().getTrack();
            String mid = transceiver.getMid();
            if (track instanceof AudioTrack at) {
                MicSink sink = new MicSink();
                at.addSink(sink);
                sinkRemovals.add(() -> at.removeSink(sink));
                tracks.put(mid, TrackInfo.newBuilder().setTrackId("mic").setKind(MediaKind.AUDIO).build());
            } else if (track instanceof VideoTrack vt) {
                MediaKind kind = midKinds.getOrDefault(mid,
                        tracks.values().stream().anyMatch(t -> t.getKind() == MediaKind.CAMERA)
                                ? MediaKind.SCREEN : MediaKind.CAMERA);
                VideoSink sink = new VideoSink(kind);
                vt.addSink(sink);
                sinkRemovals.add(() -> vt.removeSink(sink));
                tracks.put(mid, TrackInfo.newBuilder().setTrackId(kind.name().toLowerCase()).setKind(kind).build());
            }
            lane.execute(() -> publishControl(ControlType.TRACKS_CHANGED, null));
        }

        @Override
        public void onDataChannel(RTCDataChannel channel) {
            dataChannel = channel;
            channel.registerObserver(new RTCDataChannelObserver() {
                @Override
                public void onBufferedAmountChange(long previousAmount) {}

                @Override
                public void onStateChange() {
                    if (channel.getState() == RTCDataChannelState.OPEN) {
                        lane.execute(() -> sendData(new JsonObject().put("type", "hello").put("sessionId", sessionId)));
                    }
                }

                @Override
                public void onMessage(RTCDataChannelBuffer buffer) {}
            });
        }

        @Override
        public void onConnectionChange(RTCPeerConnectionState state) {
            lane.execute(() -> {
                if (closed.get()) {
                    return;
                }
                signal.send(new JsonObject().put("type", "state").put("state", state.name()));
                switch (state) {
                    case CONNECTED -> {
                        disconnectedSinceNanos = -1;
                        enableVoice();
                    }
                    case DISCONNECTED, FAILED -> {
                        if (disconnectedSinceNanos < 0) {
                            disconnectedSinceNanos = System.nanoTime();
                        }
                    }
                    default -> { }
                }
            });
        }
    }

    /** Checked by the server's housekeeping timer: ends a session whose peer stayed down past the grace period. */
    boolean peerDownTooLong(long nowNanos) {
        long d = disconnectedSinceNanos;
        return d >= 0 && nowNanos - d > cfg.iceDisconnectGrace().toNanos();
    }

    // ---------------------------------------------------------------- end

    /** Ends the session once: publishes ENDED and disposes the peer on the session lane. */
    void close(String reason, Consumer<EdgeSession> whenDisposed) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        pushLock.lock();
        try {
            voiceEnabled = false;
        } finally {
            pushLock.unlock();
        }
        if (!"left".equals(reason) && !"client_gone".equals(reason)) {
            signal.ended(this, reason); // tell a still-connected client why (peer_failed, edge_shutdown)
        }
        lane.execute(() -> {
            try {
                publishControl(ControlType.ENDED, reason);
                dispose();
            } finally {
                whenDisposed.accept(this);
            }
        });
    }

    private void dispose() {
        for (Runnable r : sinkRemovals) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.debug("removeSink: {}", e.toString());
            }
        }
        RTCDataChannel dc = dataChannel;
        if (dc != null) {
            try {
                dc.unregisterObserver();
                dc.close();
                dc.dispose();
            } catch (RuntimeException e) {
                LOG.debug("data channel dispose: {}", e.toString());
            }
        }
        RTCRtpSender s = agentSender;
        if (s != null) {
            try {
                pc.removeTrack(s);
            } catch (RuntimeException e) {
                LOG.debug("removeTrack: {}", e.toString());
            }
        }
        pc.close();
        agentTrack.dispose();
        agentSource.dispose();
        factories.release(lease); // factory and module outlive the session, see PeerFactoryPool
    }

    static JsonObject error(SignalingError e, String message) {
        return new JsonObject().put("type", "error").put("code", e.code()).put("message", message);
    }
}
