/**
 * The WebRTC edge: where a customer's browser connects, and where the agent's voice and the pipeline's events go
 * back to it.
 *
 * <h2>Starting it ({@code omni run})</h2>
 * <pre>{@code
 * EdgeServer edge = EdgeServer.start(EdgeConfig.builder()
 *         .bootstrapServers(kafka.bootstrapServers())   // required
 *         .port(8080)                                   // default 8080; 0 = any free port
 *         .build());
 * System.out.println("Open " + edge.url());             // http://localhost:8080/
 * ...
 * edge.close();                                         // ENDED for every session, peers disposed, Kafka closed
 * }</pre>
 * The topics of {@code io.omnistream.connectors.kafka.OmniTopics} must exist (the edge does not create them).
 *
 * <h2>HTTP surface</h2>
 * <ul>
 *   <li>{@code GET /} – the web client ({@code src/main/resources/webroot}: plain HTML/JS/CSS, no build step);</li>
 *   <li>{@code POST /sessions} – {@code {sessionId, token, expiresInSeconds, signalingPath, iceServers}}; the token
 *       is an HS256 JWT with claim {@code sid}, valid {@link io.omnistream.connectors.edge.EdgeConfig#tokenTtl()};</li>
 *   <li>{@code GET /signal} – WebSocket signaling, JSON messages below;</li>
 *   <li>{@code GET /health} – {@code {"status":"UP","sessions":n,...}};</li>
 *   <li>{@code GET /metrics} – Prometheus: Vert.x HTTP metrics plus {@code omni_edge_*} (errors by code, sessions,
 *       media chunks by kind, bytes sent to Kafka, agent frames played, duplicates, flushes).</li>
 * </ul>
 *
 * <h2>Signaling protocol</h2>
 * Client → edge: {@code join{token}}, {@code offer{sdp, tracks:{mid: "audio"|"camera"|"screen"}}},
 * {@code ice{candidate, sdpMid, sdpMLineIndex}} (empty candidate = end of candidates), {@code leave}, {@code ping}.
 * Edge → client: {@code joined{sessionId, iceServers}}, {@code answer{sdp}}, {@code ice{...}},
 * {@code state{state}}, {@code bye{reason}}, {@code pong}, {@code error{code, message}} with the codes of
 * {@link io.omnistream.connectors.edge.SignalingError}; {@code bad_token}, {@code token_expired},
 * {@code session_limit}, {@code rate_limited}, {@code message_too_large} close the socket (1008/1009), the others
 * leave it open. The client offers three fixed transceivers (mic sendrecv, camera sendonly, screen sendonly), so
 * turning the camera or the screen share on and off is a {@code replaceTrack}, never a renegotiation; the
 * {@code tracks} map tells the edge which video m-line is the screen. Candidates that overtake the offer are kept
 * (at most 64) and applied after it.
 *
 * <h2>Admission</h2>
 * Tokens are short-lived JWTs (default 2 minutes) checked by vertx-auth-jwt. In embedded mode the HS256 key is
 * generated at start and {@code POST /sessions} is open. <b>Behind a platform's own authentication:</b> set
 * {@code jwtSecret} to a key shared with the platform's session service and {@code openSessionEndpoint(false)};
 * the platform authenticates the customer and mints {@code {"sid": <sessionId>, "exp": ...}} tokens itself (or put
 * {@code POST /sessions} behind the platform's reverse proxy and keep it open on an internal port only). Further
 * limits: {@code maxSessions} per edge, a per-IP token bucket for joins, {@code maxMessageBytes} per signaling
 * message (a hard frame cap of 4x closes larger ones at the WebSocket layer), and an origin check (same host, or
 * {@code allowedOrigins}); clients without an Origin header (non-browser) are allowed.
 *
 * <h2>Resuming a session after its edge died</h2>
 * An edge process can die (kill -9, node loss) without ending its sessions: no ENDED is published and the sockets
 * just reset. The customer's session continues on a restarted edge, or on any other edge of the fleet:
 * <ul>
 *   <li><b>Proof.</b> At {@code joined} the edge sends a <i>resume token</i>, and a fresh one every
 *       {@code resumeRefresh} (2 s) as {@code {"type":"resume_token","sessionId","resumeToken","expiresInSeconds"}}.
 *       It is an HS256 JWT signed with the fleet's {@code jwtSecret}: {@code sid}, {@code rsm=true} (its kind),
 *       {@code st} (session start, epoch ms), {@code clk} (session clock in µs when issued: the larger of the wall
 *       session clock and the audio sample clock), {@code jti} (unique id) and {@code exp} = issue time +
 *       {@code resumeWindow} (60 s). The client rejoins with {@code {"type":"join","resumeToken":...}} on any edge.</li>
 *   <li><b>Checks</b> (each refusal answered with a code, counted in {@code omni_edge_errors_total{code}} and closing
 *       the socket): signature and expiry by vertx-auth-jwt ({@code resume_expired} past the window: "start a new
 *       session"; {@code bad_resume} for a forged or malformed token); the {@code rsm} kind (a session token is no
 *       resume proof, and a resume token cannot start a session: {@code bad_token}); single use per edge ({@code jti}
 *       remembered until its expiry: a replayed token is {@code bad_resume}); the session must not be live on this
 *       edge; the usual join rate limit and {@code maxSessions}. Tokens never reach other customers (they travel on the
 *       customer's own signaling socket), live at most {@code resumeWindow}, and a resume mints a new token, so a
 *       stolen token is useful once, within a minute, and only while the real client has not resumed first.
 *       Limits: single use is per edge (a fleet-wide check needs shared state, e.g. a compacted topic of used ids);
 *       an edge that is alive but partitioned from the client keeps publishing until its peer-failure grace ends,
 *       so two edges may publish for the same session for up to {@code iceDisconnectGrace} (the aligner drops the
 *       duplicates and late chunks). Every edge that may resume a session needs the same {@code jwtSecret}; with
 *       the generated per-process key (embedded mode) only sessions whose edge kept running can resume.</li>
 *   <li><b>Media clock.</b> The resumed peer continues the session clock from {@code clk + resumeRefresh + 2 s}:
 *       never backwards (the aligner keeps per-session state and would take a step back as late data), and forward
 *       by a few seconds however long the outage was (media validation rejects a session whose clock jumps by more
 *       than its 10 s window until enough chunks agree on the jump, see below, and a long zero-filled gap would only
 *       delay the pipeline). Sequence numbers of every track restart at {@code clock/1000 + 1}, above any number an
 *       earlier peer can have used (audio takes one per 20 ms, video at most one per ms), so the aligner's per-track
 *       duplicate window accepts them.</li>
 *   <li><b>SessionControl.</b> The resumed peer publishes STARTED with {@code reason = "resumed"} and the continued
 *       {@code sessionClockMicros}; downstream state keyed by session id simply goes on. Counted in
 *       {@code omni_edge_sessions_resumed_total}.</li>
 *   <li><b>Clients.</b> {@link io.omnistream.connectors.edge.client.EdgeClient} reconnects by itself (exponential
 *       backoff, {@code EdgeClient.Reconnect}) when its signaling socket or peer is lost without a {@code bye}, and
 *       gives up on {@code resume_expired}/{@code bad_resume}. A {@code bye} (left, peer_failed, edge_shutdown) ends
 *       the session for good.</li>
 *   <li><b>The web page</b> ({@code webroot/client.js}) does the same: on a signaling socket that closes or fails
 *       without a {@code bye}, on ICE {@code failed}, or ICE {@code disconnected} for 4 s (shorter than
 *       {@code iceDisconnectGrace}), it drops the peer connection, shows "reconnecting…" and rejoins with the
 *       latest resume token after 250 ms, doubling up to 2 s between attempts, until the token's window ends. A
 *       resume creates a new {@code RTCPeerConnection} with the same local tracks (microphone, camera, screen share
 *       if on) and the same three transceivers; the session id, captions, answers, latency table and chart stay.
 *       {@code resume_expired} and {@code bad_resume} end it ("join again"), except a {@code bad_resume} saying the
 *       session is still live on that edge (the edge has not yet seen the old socket close), which is retried.
 *       {@code window.omni.reconnects} lists each resume ({@code reason, ms, attempts}) for tests and dashboards;
 *       {@code ChromiumEdgeRestartITCase} kills an edge process under the page and checks the session continues on
 *       a new edge, then drops the page's signaling socket while the edge keeps its side open.</li>
 *   <li><b>Media validation</b> downstream
 *       ({@code io.omnistream.connectors.kafka.validation.MediaValidationFunction}) rejects chunks more than 10 s
 *       from the session's latest accepted capture time, so one wild timestamp cannot move a session's clock. A
 *       larger forward jump that is real (a client that slept, a clock that another producer restarted) is
 *       followed once 25 consecutive chunks of the session agree on it: each beyond the window, at or after the
 *       first chunk of the jump and at most one window after the newest; the first 24 are dead-lettered, the clock
 *       re-anchors at the 25th (counted in {@code omni.validation.clockReanchors}). A chunk of the current timeline
 *       or one behind the window breaks such a run, and the clock never re-anchors backwards. An edge resume stays
 *       inside the window and never needs this.</li>
 * </ul>
 *
 * <h2>Media to Kafka</h2>
 * One webrtc-java peer per session. Microphone: {@code AudioTrackSink} 10 ms frames (48 kHz) → mono →
 * {@link io.omnistream.connectors.edge.PcmResampler} (polyphase windowed sinc) → 16 kHz → 20 ms
 * {@code MediaChunk}s on {@code omni.media.audio}; {@code captureTimeMicros} is the session's sample clock (its
 * origin is the time since the session started when the first audio frame came, so audio and video share it),
 * published on the epoch time line: plus the session's start time (wall clock rounded down to the 20 ms chunk grid,
 * kept across resumes), so that all
 * sessions' capture times are comparable — the job's watermarks take the minimum over a partition's sessions, and
 * clocks that each started at 0 put a session that joined later minutes behind the watermark (the aligner then cut
 * half of every one of its ticks as "stalled").
 * Camera: {@code VideoTrackSink}, at most {@code cameraMaxFps} (15), scaled natively ({@code cropAndScale}) to fit
 * 320x240, JPEG with {@code javax.imageio} (no OpenCV natives in the edge; a few ms per picture), on
 * {@code omni.media.video}. Screen: the transceiver named {@code screen} in the offer, at most 1280x720 and 2 fps,
 * published only when any cell of a 64x36 luma grid changed by more than {@code screenChangeThreshold}, on
 * {@code omni.media.screen}. Video timestamps are mapped onto the session clock (offset fixed at the first frame,
 * re-anchored on a jump over 2 s, kept strictly increasing). {@code SessionControl} STARTED at join,
 * TRACKS_CHANGED when tracks arrive, ENDED with a reason ({@code left}, {@code client_gone}, {@code peer_failed},
 * {@code edge_shutdown}). Key = sessionId everywhere. Native callbacks never block: frames are gated, copied and
 * handed to the session's {@link io.omnistream.connectors.edge.SerialLane}; a session more than 8 tasks behind
 * drops video (counted).
 *
 * <h2>Return path: each edge reads only its own sessions</h2>
 * One {@link org.apache.kafka.clients.consumer.KafkaConsumer} per edge, no consumer group, {@code assign()}ed to
 * every partition of {@code omni.events} and {@code omni.agent}, positioned at their end when the edge starts (an
 * edge only cares about sessions it hosts now), re-reading the partition list every 10 s. Records whose key is not
 * one of this edge's sessions are skipped before they are decoded. Why not a consumer group: a group would spread
 * partitions over edges regardless of which edge hosts which session. Why not a topic per edge: the producers (Flink
 * jobs) would need to know the session→edge map. The cost is that every edge fetches all return traffic; that is
 * text plus ≤ 48 KB/s of TTS audio per speaking session, so an edge fleet of tens is fine. When it is not, make
 * placement partition-aware: choose session ids at {@code POST /sessions} so that their key hashes to partitions
 * owned by this edge (edge i of n takes partitions p ≡ i mod n) and assign only those.
 * Events become data channel JSON ({@code speech}, {@code caption}, {@code screenText}, {@code latency},
 * {@code answer}); agent audio goes through {@link io.omnistream.connectors.edge.AgentVoice} (resample to 48 kHz,
 * 10 ms frames, jitter queue prefilled with {@code agentJitterFrames}, duplicates by responseId/seq dropped) into a
 * {@code CustomAudioSource} track, pushed by one edge-wide 10 ms clock thread. A {@code BARGE_IN} speech event or an
 * {@code AgentResponse} with {@code cancelled=true} empties the queue as soon as it is consumed: at most the frame
 * being pushed still plays.
 *
 * <h2>Audio timing</h2>
 * The browser's jitter buffer sizes itself to the arrival jitter of the agent's RTP packets, i.e. to the jitter of
 * the edge's push clock. {@link io.omnistream.connectors.edge.AudioClock} is that clock: one thread, absolute 10 ms
 * deadlines ({@code parkNanos} to the next one), late wake-ups caught up by at most
 * {@code audioClockMaxCatchUpTicks} back-to-back ticks (older ones skipped), each session ticked round-robin and
 * only if its push lock is free (a renegotiating session owes the tick, the others do not wait). Lateness, overruns,
 * skipped and postponed ticks are metrics ({@code omni.edge.audio.clock.*}). libwebrtc gives its own audio device,
 * encoder and video decoding threads real-time priority where allowed, but not webrtc-java's network and worker
 * threads. {@code EdgeConfig.realtimeMediaThreads} asks Linux for real-time round-robin scheduling of the clock and
 * of those two ({@link io.omnistream.connectors.edge.OsScheduling}: {@code chrt}, else {@code renice}); it is off
 * by default: it cuts the clock's own lateness from ~5 ms to ~0.1 ms on a loaded machine, but the whole loop showed
 * no gain and with it on the edge ITCases failed as a suite (load-tests/RESULTS.md, issue 9).
 * The customer's audio is not pulled by this clock: the headless audio module's own native thread pulls every
 * 10 ms (NetEq decodes on that pull) and calls the {@code AudioTrackSink}. webrtc-java 0.14.0 offers no way to drive
 * that pull from Java and none to bound the receive jitter buffer (no {@code jitterBufferTarget} /
 * {@code playoutDelay} on {@code RTCRtpReceiver}, no field trials, no NetEq settings in {@code RTCConfiguration},
 * {@code AudioOptions} has only the audio processing switches). What the edge can do is measure it:
 * {@code omni.edge.audio.receive.jitter.buffer}, {@code .arrival.jitter}, {@code .pull.ratio} (audio delivered per
 * wall second) and {@code .pull.gaps} (pulls more than 20 ms apart).
 *
 * <h2>webrtc-java 0.14.0 pitfalls handled here</h2>
 * <ul>
 *   <li>{@code CustomAudioSource.pushAudio} aborts the JVM when the audio module's recording thread runs at the same
 *       time (upstream #217). WebRTC (re)starts recording whenever a send stream starts, which happens when the
 *       transport becomes writable (racing with CONNECTED) and again after a renegotiation. So pushing starts 300 ms
 *       after CONNECTED with a {@code stopRecording()} right before the first push, {@code stopRecording()} is
 *       repeated every 250 ms on the push thread, and a new offer pauses pushing until it is answered.</li>
 *   <li>Playout must not be started by hand: before the factory exists it makes the audio transport registration
 *       fail (no remote audio); after, it adds a second render thread (audio at twice the rate). WebRTC starts it.</li>
 *   <li>{@code RTCPeerConnection.close()} never releases its native reference, which keeps the factory's audio
 *       module and its two threads alive: {@link io.omnistream.connectors.edge.PeerFactoryPool} reuses factories,
 *       one per concurrent session, so threads stay bounded (the closed peers' native memory still leaks; fixed
 *       upstream after 0.14.0).</li>
 *   <li>{@code VideoTrackSink} frames must be released by the sink; {@code toI420()} of an I420 buffer returns the
 *       buffer itself and must not be released again; SDP the library cannot parse throws {@code java.lang.Error}
 *       synchronously rather than calling the observer.</li>
 *   <li>Disposal order: remove sinks, data channel, {@code removeTrack}, {@code close}, track, source, then the
 *       factory lease goes back to the pool. Observer callbacks only hand work to the session lane.</li>
 * </ul>
 *
 * <h2>Client for tests and load</h2>
 * {@link io.omnistream.connectors.edge.client.EdgeClient} (main code, so {@code load-tests} can use it) joins like the
 * web client and pushes a PCM recording and synthetic video.
 */
package io.omnistream.connectors.edge;
