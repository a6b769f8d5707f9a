/**
 * Dynamic modality routing: spend compute only where the conversation is.
 *
 * <p>In a customer-service session most audio is silence, most screen pictures are unchanged and the face matters
 * only around speech. The {@link io.omnistream.operators.route.ModalityRouter} sits right after alignment, keyed by
 * session, and decides per tick from <em>cheap</em> signals which paths run; it stamps the decision
 * ({@link io.omnistream.schemas.RouteDecision}) on the {@link io.omnistream.schemas.PerceptionFrame}, and perception
 * and understanding both consume the routed frames, so every operator obeys the same decision. A frame without a
 * decision (routing off, {@link io.omnistream.operators.route.RouteConfig#disabled()}) runs everything exactly as
 * before. All thresholds live in {@link io.omnistream.operators.route.RouteConfig}.
 *
 * <h2>Signals and what each one drives</h2>
 * <ul>
 *   <li><b>Audio energy</b> (RMS dBFS of the tick, microseconds of work) against an absolute gate
 *       ({@code gateDb}, default -50 dBFS = the perception's own silence level) and optionally a margin over a
 *       tracked noise floor ({@code noiseMarginDb}). A tick at or above the gate is <em>loud</em>. Routing switches
 *       paths on at the <em>first</em> loud tick (nothing is predicted, nothing is late) and keeps them on for a
 *       hangover after the last loud tick: Silero VAD {@code vadHangoverMicros}, ASR feeding
 *       {@code asrHangoverMicros}, face detection and lips {@code faceHangoverMicros} (longer than the 700 ms open-lips
 *       end-of-turn hangover, so the audio-visual end-of-turn decision always has its lips), then tracking only
 *       ({@code faceTrackOnlyMicros}), then no face work except one sampled tick per {@code faceIdleSampleMicros}
 *       (the fusion's closed-lips baseline must have seen the closed mouth before speech starts). Because the gate equals the perception's silence level,
 *       skipping the VAD on a quiet tick cannot change that tick's speech probability: the fusion already treats
 *       every tick below -50 dBFS as silent. VAD off is therefore "silence" consistently (probability 0). What the
 *       router cannot reproduce is the VAD's recurrent state: Silero integrates near-silence for tens of seconds (after
 *       15–30 s of -68 dBFS room noise it reads a speech onset 0.3–0.8 lower than a fresh state, and dipped below the
 *       stop threshold inside the first words), and re-running a few seconds of the recent audio at switch-on does
 *       not get there (8 s still left flips). Perception therefore restarts the VAD from a fresh, primed state
 *       after {@code PerceptionConfig.vadRestartAfterSilenceMicros} below the silence level, routed or not; with
 *       the VAD hangover at least that minus one tick, every routed switch-on falls on such a restart, and the
 *       routed speech probabilities equal the always-on ones exactly.</li>
 *   <li><b>Camera track state</b>: no usable camera picture, no face work at all (the aligner already says MISSING
 *       or ENDED). When face work is off the picture is not even decoded, and the fusion sees the last face as still
 *       and unchanged, which is what a silent customer looks like.</li>
 *   <li><b>Screen change magnitude</b>: a changed screen picture is decoded at 1/8 scale in grey (DCT-domain
 *       scaling: cheap) into a {@code thumbWidth}x{@code thumbHeight} thumbnail and compared with the thumbnail of
 *       the last picture released to OCR. A large change (≥ {@code ocrMinChangeFraction}) opens OCR for
 *       {@code ocrHoldMicros} (the OCR stage still waits for the picture to be stable); small changes (a blinking
 *       cursor, a ticking clock) are deferred until the customer speaks ({@code ocrOnSpeech}: the answer will need
 *       the current screen) or until {@code ocrMaxDeferMicros} have passed. A picture released on a routed frame
 *       is read only where it changed since the session's last read
 *       ({@link io.omnistream.operators.ocr.ChangedRegionReader}: changed 8×8 blocks, grown to whole lines of the
 *       last read; the rest of the text carried over), so the clock's re-read costs its corner; more than half the
 *       screen changed, or no last read in memory, and the whole screen is read as always-on does.</li>
 *   <li><b>Agent speaking</b> ({@link io.omnistream.operators.turn.AgentActivity}, read back from {@code omni.agent}):
 *       while the agent talks, VAD and lip tracking stay warm so that a barge-in is caught at its first tick.</li>
 *   <li><b>Turn state</b> is not read back (that would be a loop in the graph): the energy hangovers stand in for
 *       it, and the ASR operator itself still only decodes inside turns.</li>
 * </ul>
 * Text encoding ({@code textEncode}) is on while new text can appear (speech or a screen read within
 * {@code textHangoverMicros}); the responder embeds only text it has not embedded before. The gated cross-modal
 * attention pairs ({@code attentionPairs}, bit q*4+k; audio, lips, screen, text) are those among the active
 * modalities.
 *
 * <h2>Memory reuse</h2>
 * Buffers of a modality that stays inactive are released and counted: Silero's per-session buffers after
 * {@code vadReleaseAfterMicros} of routed silence (a VAD switched back on starts from a fresh state primed
 * with silence anyway, as an always-on VAD does after silence), the face template and
 * mouth patch when the camera goes away (kept while the camera is on but face work is off: re-detecting a face
 * after a long pause moves the box and with it the closed-lips baseline, which in the tuner's first run ended turns
 * inside utterances), the screen thumbnails when the screen share ends, and an open
 * turn's PocketSphinx decoder goes back to the {@link io.omnistream.operators.asr.SphinxDecoderPool} after
 * {@code asrReleaseIdleMicros} (in the understanding config) of routed silence between segments.
 *
 * <h2>Metrics</h2>
 * {@link io.omnistream.operators.route.WorkCounter}: every decision per path ({@code decision.<path>.run/skipped})
 * and the work the operators actually did or skipped ({@code work.<path>.run/skipped}, {@code memory.*}), as Flink
 * metrics in the {@code route} group and as job accumulators {@code route.*}.
 *
 * <h2>Why these defaults</h2>
 * The hangovers are the shortest that cover what the later decisions need, so that routing changes no decision:
 * VAD 400 ms (its state sees the decay of the utterance), ASR 1 s (longer than the slowest speech-end decision plus
 * the event's delivery, so the decoder is never starved inside a segment), face 1.2 s (the 700 ms open-lips
 * end-of-turn hangover plus margin), tracking 1 s more, a face sample per second (the closed-lips baseline), OCR on
 * a change of ≥ 1 % of the 96×54 thumbnail (a new dialog moves several percent, a blinking cursor or a clock well
 * under 1 %), text 3 s. The gate equals the perception's silence level (-50 dBFS). {@code RouteTuner} in
 * {@code load-tests} replays the turn-taking evaluation set and a realistic session mix with routing off and on and
 * validated these values (with the perception's VAD restart after 200 ms of silence in both runs: speech events
 * and turn decisions agree 100 %, end-of-turn latency unchanged; with the deterministic ASR, answers agree 100 % on
 * every set; estimated encoder FLOPs saved 64.6 % on a 12-session realistic mix with the changed-region OCR (47.6 %
 * before it), 14.2 % on the hard evaluation set; {@code load-tests/RESULTS.md}, "Modality routing (issue 8)"); its
 * 8-point threshold grid ({@code --grid small}) moved the savings by at most 3 points.
 */
package io.omnistream.operators.route;
