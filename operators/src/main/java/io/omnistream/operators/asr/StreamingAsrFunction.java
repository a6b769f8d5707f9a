package io.omnistream.operators.asr;

import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.schemas.LatencyTrace;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.SpeechEvent;
import io.omnistream.schemas.SpeechEventType;
import io.omnistream.schemas.Transcript;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streaming speech recognition of the customer's turns: the session's perception frames (audio) and
 * its turn-taking events meet here, keyed by session, so that a turn's audio is decoded from its
 * speech start (with a short pre-roll) until the speech drop, partial text is published while the
 * customer talks, and the final text at the end of the turn.
 *
 * <p>An event is applied once the frames up to its session time have arrived (events are derived
 * from the same frames and normally come later); if the session's frames stop coming for a short
 * wall-clock wait it is applied anyway (late frames are waited for as long as they keep coming). Decoders come from a per-instance {@link SphinxDecoderPool}.
 *
 * <p>Native decoders cannot be checkpointed, so the session's position is kept in keyed state
 * instead ({@link AsrSessionStore}): the open turn, its transcript sequence number and finished
 * segments' text, the audio fed since the turn opened (at most {@code asrReplayMaxMicros}, truncation
 * counted), the pre-roll ring and the events still waiting for audio. After a restore, the first
 * record or timer of a session finds no live decoder for it: a fresh decoder is borrowed and the
 * buffered audio of the segment in progress is replayed into it before any new audio, so the
 * interrupted turn still gets its final transcript, once. The same buffer lets a turn that found no
 * free decoder catch up as soon as one is free, instead of going without text.
 *
 * <p>A segment's final text depends only on its audio, from the pre-roll before its start up to the tick at which
 * its end was decided: frames usually run ahead of the events derived from them, by however much the job lags, so
 * audio that came is held until the watermark has passed it (or for at most {@code asrMaxHoldMicros}) and the rest
 * is fed when the end applies; a tick after the decision is never fed to the segment. The ring of recent ticks
 * (checkpointed) holds that audio, so a restore loses none of it.
 */
public class StreamingAsrFunction extends KeyedCoProcessFunction<String, PerceptionFrame, SpeechEvent, TurnUpdate> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(StreamingAsrFunction.class);
    private static final long PREROLL_RING_MICROS = 1_000_000;

    private final UnderstandingConfig config;
    private transient SphinxDecoderPool pool;
    /** Live decoders and working copies of the keyed state, per session of this instance. */
    private transient Map<String, Session> sessions;
    private transient AsrSessionStore store;
    private transient Counter badAudio;
    private transient Counter noDecoder;
    private transient Counter orphanEvents;
    private transient Counter continuedTurns;
    private transient Counter finals;
    private transient Counter turnsRestored;
    private transient Counter replayTruncated;
    private transient Counter caughtUp;
    /** The highest watermark seen here and when it was seen (wall clock): operator-wide, not keyed. */
    private transient long lastWatermark;
    private transient long watermarkMovedWallMillis;
    /** Events applied before all their audio came, because the session stopped sending frames. */
    private transient Counter appliedWithoutAudio;
    private transient io.omnistream.operators.route.WorkCounter routedFed;
    private transient io.omnistream.operators.route.WorkCounter routedSkipped;
    private transient io.omnistream.operators.route.WorkCounter routedReleased;
    /** Frames that came while the held audio was at its bound ({@code asrMaxHoldMicros}): about a tick fed early each. */
    private transient Counter fedAheadOfWatermark;
    /** How far back the pre-roll ring reaches: the pre-roll, and the audio held for the watermark. */
    private transient long ringMicros;

    public StreamingAsrFunction(UnderstandingConfig config) {
        this.config = config;
    }

    /** Per-session decoding state: the live decoder, and working copies of what {@link AsrSessionStore} keeps. */
    private static final class Session {
        final ArrayDeque<AudioSpan> ring = new ArrayDeque<>();
        final List<SpeechEvent> pending = new ArrayList<>();
        /**
         * Event time (the record timestamp: the time of the frame at which turn-taking decided) of pending events,
         * by identity; checkpointed beside them ({@code asr-pending-event-times}).
         */
        final Map<SpeechEvent, Long> pendingEventTime = new java.util.IdentityHashMap<>();
        long lastTickEnd = Long.MIN_VALUE;
        // turn
        long turnId = -1;
        boolean turnOpen;
        boolean speaking;
        SphinxDecoder decoder;
        boolean decoderMissing;
        final StringBuilder committedText = new StringBuilder();
        long fedUntil = Long.MIN_VALUE;
        long turnStart;
        long lastPartialAt;
        String lastPartial = "";
        int seq;
        final ByteArrayOutputStream turnAudio = new ByteArrayOutputStream();
        byte[] latestScreen;
        long lastFrameWallMillis;
        // modality routing: session time of routed-inactive audio in a row, and whether the idle decoder went back to the pool
        long routedIdleMicros;
        boolean decoderReleased;
        String id;
        /** The open turn came back from a checkpoint (logged when it ends). */
        boolean restoredTurn;
        // checkpointed copies (see AsrSessionStore)
        int ringStored;
        final ArrayDeque<AudioSpan> turnSpans = new ArrayDeque<>();
        long bufferedSamples;
        long segmentSamples;
        boolean pendingChanged;
        long lastFinalTurnId = -1;
        String lastFinalText = "";
        long segmentDecision = Long.MIN_VALUE;
        /** The session's own cepstral mean, carried from segment to segment whichever decoder decodes it (null: the model's). */
        float[] cepstralMean;
        /**
         * Session time up to which audio may be fed now (see {@link #holdLimit}), set by each frame; before the first
         * frame of this instance (after a restore) nothing beyond a decision is fed.
         */
        long holdLimit = Long.MIN_VALUE;

        AsrPosition position() {
            AsrPosition p = new AsrPosition();
            p.turnId = turnId;
            p.turnOpen = turnOpen;
            p.speaking = speaking;
            p.decoderMissing = decoderMissing;
            p.committedText = committedText.toString();
            p.fedUntil = fedUntil;
            p.turnStart = turnStart;
            p.lastPartialAt = lastPartialAt;
            p.lastPartial = lastPartial;
            p.seq = seq;
            p.lastTickEnd = lastTickEnd;
            p.segmentSamples = segmentSamples;
            p.lastFinalTurnId = lastFinalTurnId;
            p.lastFinalText = lastFinalText;
            p.segmentDecision = segmentDecision;
            p.cepstralMean = cepstralMean;
            return p;
        }

        void position(AsrPosition p) {
            turnId = p.turnId;
            turnOpen = p.turnOpen;
            speaking = p.speaking;
            decoderMissing = p.decoderMissing;
            committedText.setLength(0);
            committedText.append(p.committedText == null ? "" : p.committedText);
            fedUntil = p.fedUntil;
            turnStart = p.turnStart;
            lastPartialAt = p.lastPartialAt;
            lastPartial = p.lastPartial == null ? "" : p.lastPartial;
            seq = p.seq;
            lastTickEnd = p.lastTickEnd;
            segmentSamples = p.segmentSamples;
            lastFinalTurnId = p.lastFinalTurnId;
            lastFinalText = p.lastFinalText == null ? "" : p.lastFinalText;
            segmentDecision = p.segmentDecision;
            cepstralMean = p.cepstralMean;
        }
    }

    @Override
    public void open(OpenContext openContext) {
        pool = new SphinxDecoderPool(config);
        sessions = new HashMap<>();
        store = new AsrSessionStore(getRuntimeContext());
        badAudio = getRuntimeContext().getMetricGroup().counter("asrBadAudio");
        noDecoder = getRuntimeContext().getMetricGroup().counter("asrNoFreeDecoder");
        orphanEvents = getRuntimeContext().getMetricGroup().counter("asrEventsWithoutTurn");
        continuedTurns = getRuntimeContext().getMetricGroup().counter("asrContinuedTurns");
        finals = getRuntimeContext().getMetricGroup().counter("asrFinalTranscripts");
        turnsRestored = getRuntimeContext().getMetricGroup().counter("asrTurnsRestored");
        replayTruncated = getRuntimeContext().getMetricGroup().counter("asrReplayAudioTruncated");
        caughtUp = getRuntimeContext().getMetricGroup().counter("asrDecoderCaughtUp");
        appliedWithoutAudio = getRuntimeContext().getMetricGroup().counter("asrEventsAppliedWithoutAudio");
        lastWatermark = Long.MIN_VALUE;
        watermarkMovedWallMillis = 0;
        routedFed = io.omnistream.operators.route.WorkCounter.register(getRuntimeContext(), "work.asr.run");
        routedSkipped = io.omnistream.operators.route.WorkCounter.register(getRuntimeContext(), "work.asr.skipped");
        routedReleased = io.omnistream.operators.route.WorkCounter.register(getRuntimeContext(), "memory.asr.decoderReleased");
        fedAheadOfWatermark = getRuntimeContext().getMetricGroup().counter("asrFedAheadOfWatermark");
        ringMicros = Math.max(PREROLL_RING_MICROS, config.asrMaxHoldMicros + 200_000);
    }

    @Override
    public void close() {
        if (sessions != null && pool != null) {
            for (Session s : sessions.values()) {
                if (s.decoder != null) {
                    pool.giveBack(s.decoder);
                }
            }
        }
        if (pool != null) {
            pool.close();
        }
    }

    /** Remembers when the watermark last moved (wall clock): while it moves, it decides when audio cannot come. */
    private void noteWatermark(long watermark, long nowMillis) {
        if (watermark > lastWatermark) {
            lastWatermark = watermark;
            watermarkMovedWallMillis = nowMillis;
        }
    }

    @Override
    public void processElement1(PerceptionFrame frame, Context ctx, Collector<TurnUpdate> out) throws Exception {
        Session s = session(frame.getSessionId(), ctx.timerService().currentProcessingTime());
        s.lastFrameWallMillis = ctx.timerService().currentProcessingTime();
        noteWatermark(ctx.timerService().currentWatermark(), s.lastFrameWallMillis);
        short[] samples = samples(frame.getAudio());
        if (samples == null) {
            badAudio.inc();
            samples = new short[0];
        }
        if (frame.getScreen() != null && frame.getScreen().getJpeg() != null) {
            ByteBuffer jpeg = frame.getScreen().getJpeg().duplicate();
            if (frame.getScreenChanged() || s.latestScreen == null) {
                s.latestScreen = new byte[jpeg.remaining()];
                jpeg.get(s.latestScreen);
                store.screen.update(s.latestScreen);
            }
        }
        AudioSpan tick = new AudioSpan(frame.getTickStartMicros(), frame.getTickEndMicros(), samples, !routeAllowsDecoding(frame, s));
        remember(s, tick);
        s.lastTickEnd = Math.max(s.lastTickEnd, tick.end);
        s.holdLimit = holdLimit(s, tick, ctx.timestamp(), ctx.timerService().currentWatermark());
        if (s.speaking) {
            feedHeld(s, Math.min(s.holdLimit, pendingDecision(s)));
            maybePartial(frame.getSessionId(), s, tick.end, out);
        }
        applyReadyEvents(frame.getSessionId(), s, Long.MIN_VALUE, null, out);
        persist(s);
    }

    @Override
    public void processElement2(SpeechEvent event, Context ctx, Collector<TurnUpdate> out) throws Exception {
        Session s = session(event.getSessionId(), ctx.timerService().currentProcessingTime());
        s.pending.add(event);
        s.pending.sort((a, b) -> Long.compare(a.getSessionTimeMicros(), b.getSessionTimeMicros()));
        s.pendingChanged = true;
        noteWatermark(ctx.timerService().currentWatermark(), ctx.timerService().currentProcessingTime());
        Long eventTime = ctx.timestamp();
        if (eventTime != null) {
            s.pendingEventTime.put(event, eventTime);
        }
        applyReadyEvents(event.getSessionId(), s, Long.MIN_VALUE, null, out);
        if (s.pending.contains(event)) {
            if (eventTime != null) {
                // once the watermark passes the decision's time, every frame the event needs has come, or never will
                ctx.timerService().registerEventTimeTimer(eventTime + config.eventAudioLagMillis);
            }
            ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + config.eventGiveUpOnAudioMillis);
        }
        persist(s);
    }

    /**
     * An event waits for its audio (see {@link #audioNeededUntil}); it is applied with the audio that came, when
     * <ul>
     *   <li>(event time) the watermark has passed the event's own time (the time of the frame at which turn-taking
     *       decided) by {@code eventAudioLagMillis}: every frame stamped up to then has arrived on every input channel,
     *       so unless this session's media clock lags the job's fastest sessions by more than that, the missing audio
     *       will never come (the session stopped sending). Frames and events travel different paths and either may lag
     *       by seconds under load, checkpoint alignment or a restore; the watermark is the signal that does not lie
     *       about that (a wall-clock wait of 1 s once applied an end of turn before its queued audio and lost an
     *       utterance). It needs all sessions' media clocks on one time line, which the edge provides;</li>
     *   <li>(processing time) neither a frame of the session nor any progress of the watermark for
     *       {@code eventGiveUpOnAudioMillis}: the watermark stops when every source is idle (the last session left),
     *       and an event without an event time (from a source without timestamps) has only this. While the watermark
     *       moves, the wall clock never decides: after a restore the job lagged 160 s and some sessions' frames did not
     *       reach this operator for 30 s although they were on their way.</li>
     * </ul>
     */
    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<TurnUpdate> out) throws Exception {
        Session s = session(ctx.getCurrentKey(), ctx.timerService().currentProcessingTime());
        if (s.pending.isEmpty()) {
            return;
        }
        if (ctx.timeDomain() == TimeDomain.EVENT_TIME) {
            applyReadyEvents(ctx.getCurrentKey(), s, timestamp, null, out);
            persist(s);
            return;
        }
        long now = Math.max(timestamp, ctx.timerService().currentProcessingTime());
        noteWatermark(ctx.timerService().currentWatermark(), now);
        long quiet = now - s.lastFrameWallMillis;
        long wait = Math.max(s.lastFrameWallMillis, watermarkMovedWallMillis) + config.eventGiveUpOnAudioMillis;
        if (now < wait) {
            // its audio is only late (the job lags, a channel is blocked), or the watermark still moves and will
            // tell when the audio cannot come any more: keep waiting
            ctx.timerService().registerProcessingTimeTimer(wait);
            return;
        }
        applyReadyEvents(ctx.getCurrentKey(), s, Long.MIN_VALUE, "sent no frame for " + quiet + " ms", out);
        persist(s);
    }

    /**
     * The session's live state; on its first use in this instance it is rebuilt from keyed state (after a
     * restore: a fresh decoder with the segment in progress replayed into it). Frames are taken to have
     * arrived at {@code nowMillis}, so that events restored as pending wait for the replayed frames.
     */
    private Session session(String sessionId, long nowMillis) throws Exception {
        Session s = sessions.get(sessionId);
        if (s != null) {
            return s;
        }
        s = new Session();
        s.id = sessionId;
        sessions.put(sessionId, s);
        s.lastFrameWallMillis = nowMillis;
        AsrPosition p = store.position.value();
        if (p != null) {
            restore(s, p);
        }
        return s;
    }

    private void restore(Session s, AsrPosition p) throws Exception {
        s.position(p);
        for (AudioSpan t : store.preroll.get()) {
            s.ringStored++;
            if (t.end >= s.lastTickEnd - ringMicros) {
                s.ring.addLast(t);
            }
        }
        for (SpeechEvent e : store.pending.get()) {
            s.pending.add(e);
        }
        List<Long> times = new ArrayList<>();
        for (Long t : store.pendingEventTimes.get()) {
            times.add(t);
        }
        if (times.size() == s.pending.size()) { // absent in checkpoints of older versions: those wait for the give-up
            for (int i = 0; i < times.size(); i++) {
                if (times.get(i) != Long.MIN_VALUE) {
                    s.pendingEventTime.put(s.pending.get(i), times.get(i));
                }
            }
        }
        s.latestScreen = store.screen.value();
        for (AudioSpan t : store.turnAudio.get()) {
            s.turnSpans.addLast(t);
            s.bufferedSamples += t.samples.length;
        }
        if (!s.turnOpen) {
            return;
        }
        for (AudioSpan t : s.turnSpans) {
            keepTurnAudio(s, t.samples);
        }
        if (s.speaking) {
            catchUp(s, true); // a fresh decoder, with the segment in progress replayed into it
            if (s.decoder == null) {
                s.decoderMissing = true;
                noDecoder.inc();
            }
        } else {
            s.decoderReleased = true; // paused turn: a decoder is borrowed again when the customer speaks on (startSegment)
        }
        s.restoredTurn = true;
        turnsRestored.inc();
        LOG.info("restored ASR turn {}#{}: speaking={}, finished segments '{}', {} ms of turn audio ({} ms in the segment), "
                + "{} events pending, decoder {}", s.id, s.turnId, s.speaking, s.committedText, s.bufferedSamples / 16,
                s.segmentSamples / 16, s.pending.size(), s.decoder != null ? "replayed" : "none yet");
    }

    /**
     * A speaking turn without a decoder (the pool was empty when its segment began, or the operator was just
     * restored) takes one as soon as one is free and replays the buffered audio of the segment so far into it, so
     * that its text is not lost; the audio after it is then fed as usual.
     */
    private void catchUp(Session s, boolean waitForOne) throws InterruptedException {
        if (s.decoder != null || !s.turnOpen || !s.speaking) {
            return;
        }
        SphinxDecoder d = waitForOne ? pool.borrowWaiting(config.asrDecoderWaitMillis) : pool.borrow();
        if (d == null) {
            return;
        }
        s.decoder = d;
        s.decoderMissing = false;
        s.decoderReleased = false;
        d.start(s.cepstralMean);
        long skip = s.bufferedSamples - Math.min(s.segmentSamples, s.bufferedSamples);
        long replayed = 0;
        for (AudioSpan t : s.turnSpans) {
            int from = (int) Math.max(0, Math.min(t.samples.length, skip));
            skip -= from;
            if (from < t.samples.length) {
                short[] part = from == 0 ? t.samples : java.util.Arrays.copyOfRange(t.samples, from, t.samples.length);
                d.process(part, part.length);
                replayed += part.length;
            }
        }
        caughtUp.inc();
        LOG.info("decoder for turn {}#{} caught up: {} ms of the segment replayed, hypothesis '{}'", s.id, s.turnId,
                replayed / 16, d.hypothesis());
    }

    /** Writes what changed to keyed state (position always: it is small). */
    private void persist(Session s) throws Exception {
        store.position.update(s.position());
        if (s.pendingChanged) {
            store.pending.update(new ArrayList<>(s.pending));
            List<Long> times = new ArrayList<>(s.pending.size());
            for (SpeechEvent e : s.pending) {
                times.add(s.pendingEventTime.getOrDefault(e, Long.MIN_VALUE));
            }
            store.pendingEventTimes.update(times);
            s.pendingChanged = false;
        }
    }

    /**
     * Session time up to which the speaking customer's audio may be fed now: the ticks the watermark has passed (the
     * record timestamp of this tick maps the session clock onto event time), but no further back than
     * {@code asrMaxHoldMicros} behind the newest tick. Without event time (no timestamp, no watermark yet) or with
     * holding off: everything.
     */
    private long holdLimit(Session s, AudioSpan tick, Long timestamp, long watermark) {
        if (config.asrMaxHoldMicros <= 0 || timestamp == null || watermark == Long.MIN_VALUE) {
            return Long.MAX_VALUE;
        }
        long offset = timestamp * 1000 - tick.end; // event time minus session time, in micros
        long limit = watermark >= Long.MAX_VALUE / 1000 - 1 ? Long.MAX_VALUE : watermark * 1000 - offset;
        long floor = s.lastTickEnd - config.asrMaxHoldMicros;
        if (limit < floor && s.speaking) {
            fedAheadOfWatermark.inc(); // about one tick per frame that comes while the hold is at its bound
        }
        return Math.max(limit, floor);
    }

    /** The earliest session time of a pending event: its audio waits, nothing after it is fed before it is applied. */
    private static long pendingDecision(Session s) {
        long min = Long.MAX_VALUE;
        for (SpeechEvent e : s.pending) {
            min = Math.min(min, e.getSessionTimeMicros());
        }
        return min;
    }

    /**
     * Feeds the ring's ticks not fed yet that end by {@code limit}, in order; after the segment's decision a tick the
     * router marked inactive is skipped (counted). The segment's audio thus depends only on the ticks' times, not on
     * when they came.
     */
    private void feedHeld(Session s, long limit) throws Exception {
        for (AudioSpan t : s.ring) {
            if (t.end <= s.fedUntil) {
                continue;
            }
            if (t.end > limit) {
                break;
            }
            if (t.end > s.segmentDecision) {
                if (t.routedOut) {
                    routedSkipped.inc();
                    s.fedUntil = t.end;
                    continue;
                }
                routedFed.inc();
            }
            feed(s, t);
        }
    }

    /** Keeps a tick for the pre-roll and the held audio; its state is appended to and trimmed now and then. */
    private void remember(Session s, AudioSpan tick) throws Exception {
        s.ring.addLast(tick);
        while (!s.ring.isEmpty() && s.ring.peekFirst().end < tick.end - ringMicros) {
            s.ring.removeFirst();
        }
        if (s.ringStored >= 2 * s.ring.size() + 4) {
            store.preroll.update(new ArrayList<>(s.ring));
            s.ringStored = s.ring.size();
        } else {
            store.preroll.add(tick);
            s.ringStored++;
        }
    }

    /**
     * Applies, in order, the pending events whose audio has come, and an event whose audio has not all come when the
     * watermark has passed its event time by {@code eventAudioLagMillis} or when {@code forcedBecause} (the session
     * stopped sending) is given; those are counted and logged ({@code asrEventsAppliedWithoutAudio}).
     */
    private void applyReadyEvents(String sessionId, Session s, long watermark, String forcedBecause, Collector<TurnUpdate> out)
            throws Exception {
        Iterator<SpeechEvent> it = s.pending.iterator();
        while (it.hasNext()) {
            SpeechEvent e = it.next();
            long needed = audioNeededUntil(e);
            if (needed > s.lastTickEnd) {
                Long t = s.pendingEventTime.get(e);
                boolean passed = t != null && t + config.eventAudioLagMillis <= watermark;
                if (forcedBecause == null && !passed) {
                    break;
                }
                appliedWithoutAudio.inc();
                LOG.info("session {} {}: {} of turn {} applied with audio up to {} of {} needed", s.id,
                        forcedBecause != null ? forcedBecause : "has no frame up to the watermark " + watermark, e.getType(),
                        e.getTurnId(), s.lastTickEnd, needed);
            }
            it.remove();
            s.pendingEventTime.remove(e);
            s.pendingChanged = true;
            apply(sessionId, s, e, out);
        }
    }

    /**
     * Session time up to which audio must have arrived before the event can be applied: a speech start
     * needs none (later audio is fed as it comes), a speech end or end of turn needs the speech up to
     * its estimated end plus a short tail, not the silence after it that the decision waited for.
     */
    private long audioNeededUntil(SpeechEvent e) {
        switch (e.getType()) {
            case SPEECH_START:
            case BARGE_IN:
            case BACKGROUND_SPEECH:
                return Long.MIN_VALUE;
            default:
                long end = e.getSpeechTimeMicros() > 0 ? e.getSpeechTimeMicros() + config.asrEndTailMicros : Long.MAX_VALUE;
                return Math.min(e.getSessionTimeMicros(), end);
        }
    }

    private void apply(String sessionId, Session s, SpeechEvent e, Collector<TurnUpdate> out) throws Exception {
        SpeechEventType type = e.getType();
        if (s.restoredTurn) {
            LOG.info("restored turn {}#{} gets {} of turn {}", sessionId, s.turnId, type, e.getTurnId());
        }
        Map<String, Long> stages = stages(e);
        switch (type) {
            case SPEECH_START:
                if (s.turnOpen && s.turnId == e.getTurnId()) {
                    // speech resumed within the same turn: the prepared answer is discarded
                    emit(out, sessionId, s, TurnUpdate.Kind.RESUMED, null, stages);
                    startSegment(sessionId, s, e, out);
                } else {
                    startNextTurn(sessionId, s, e, out, stages);
                }
                break;
            case SPEECH_END:
                if (!s.turnOpen || s.turnId != e.getTurnId()) {
                    orphanEvents.inc();
                    return;
                }
                endSegment(s, e);
                emitText(out, sessionId, s, TurnUpdate.Kind.SPEECH_PAUSE, false, stages);
                break;
            case END_OF_TURN:
                if (!s.turnOpen || s.turnId != e.getTurnId()) {
                    orphanEvents.inc();
                    return;
                }
                endSegment(s, e);
                if (s.restoredTurn) {
                    LOG.info("final transcript of restored turn {}#{}: '{}' (decoder missing: {})", sessionId, s.turnId,
                            s.committedText, s.decoderMissing);
                }
                emitText(out, sessionId, s, TurnUpdate.Kind.END_OF_TURN, true, stages);
                s.lastFinalTurnId = s.turnId;
                s.lastFinalText = s.committedText.toString();
                finals.inc();
                closeTurn(s);
                break;
            case BARGE_IN:
                TurnUpdate u = new TurnUpdate(sessionId, e.getTurnId(), TurnUpdate.Kind.BARGE_IN, null);
                u.stages = stages;
                out.collect(u);
                // the interruption is the customer's next turn: transcribe it like one
                startNextTurn(sessionId, s, e, out, stages);
                break;
            default:
                break;
        }
    }

    /**
     * SPEECH_START of a new turn or BARGE_IN: an open turn is given up (RESUMED), the new one opened — starting from
     * the previous final text when the event continues that turn (the customer only paused) — and its speech fed.
     */
    private void startNextTurn(String sessionId, Session s, SpeechEvent e, Collector<TurnUpdate> out, Map<String, Long> stages)
            throws Exception {
        if (s.turnOpen) {
            emit(out, sessionId, s, TurnUpdate.Kind.RESUMED, null, stages);
            closeTurn(s);
        }
        openTurn(s, e);
        if (e.getContinuesTurnId() > 0 && e.getContinuesTurnId() == s.lastFinalTurnId) {
            // the answer to the fragment is cut, this turn asks the whole question
            s.committedText.append(s.lastFinalText);
            continuedTurns.inc();
        }
        startSegment(sessionId, s, e, out);
    }

    private void openTurn(Session s, SpeechEvent e) {
        s.turnOpen = true;
        s.turnId = e.getTurnId();
        s.committedText.setLength(0);
        s.seq = 0;
        s.turnAudio.reset();
        forgetTurnAudio(s);
        s.lastPartial = "";
        long boundary = e.getSpeechTimeMicros() > 0 ? e.getSpeechTimeMicros() : e.getSessionTimeMicros();
        s.turnStart = Math.max(0, boundary - config.asrPrerollMicros);
        s.decoder = pool.borrow();
        s.decoderMissing = s.decoder == null;
        if (s.decoderMissing) {
            noDecoder.inc();
        }
    }

    private void closeTurn(Session s) {
        if (s.decoder != null) {
            pool.giveBack(s.decoder);
            s.decoder = null;
        }
        s.turnOpen = false;
        s.speaking = false;
        s.restoredTurn = false;
        forgetTurnAudio(s);
    }

    private void forgetTurnAudio(Session s) {
        if (s.bufferedSamples > 0 || !s.turnSpans.isEmpty()) {
            store.turnAudio.clear();
        }
        s.turnSpans.clear();
        s.bufferedSamples = 0;
        s.segmentSamples = 0;
    }

    private void startSegment(String sessionId, Session s, SpeechEvent e, Collector<TurnUpdate> out) throws Exception {
        s.speaking = true;
        long boundary = e.getSpeechTimeMicros() > 0 ? e.getSpeechTimeMicros() : e.getSessionTimeMicros();
        long from = Math.max(0, boundary - config.asrPrerollMicros);
        if (s.decoder == null && s.decoderReleased && s.turnOpen) {
            // the decoder went back to the pool during a routed silence inside this turn: take one again
            s.decoderReleased = false;
            s.decoder = pool.borrow();
            s.decoderMissing = s.decoder == null;
            if (s.decoderMissing) {
                noDecoder.inc();
            }
        }
        if (s.decoder != null) {
            s.decoder.start(s.cepstralMean);
        }
        s.fedUntil = from;
        s.lastPartialAt = from;
        s.segmentSamples = 0;
        s.segmentDecision = e.getSessionTimeMicros();
        // the pre-roll and the audio up to the decision, and what the watermark has passed since (not beyond a pending end)
        feedHeld(s, Math.min(Math.max(s.segmentDecision, s.holdLimit), pendingDecision(s)));
        maybePartial(sessionId, s, s.lastTickEnd, out);
    }

    /** Ends the speech segment at the event's decision: the held audio up to that tick is fed first, none after it. */
    private void endSegment(Session s, SpeechEvent e) throws Exception {
        if (!s.speaking) {
            return;
        }
        feedHeld(s, e.getSessionTimeMicros());
        catchUp(s, true); // last chance for a segment that found no free decoder: wait for one
        s.speaking = false;
        if (s.decoder != null) {
            String seg = s.decoder.finish();
            float[] mean = s.decoder.cepstralMean();
            if (mean != null) {
                s.cepstralMean = mean;
            }
            if (!seg.isEmpty()) {
                if (s.committedText.length() > 0) {
                    s.committedText.append(' ');
                }
                s.committedText.append(seg);
            }
        }
    }

    private void feed(Session s, AudioSpan t) throws Exception {
        if (t.end <= s.fedUntil || t.samples.length == 0) {
            return;
        }
        int skip = 0;
        if (t.start < s.fedUntil) {
            skip = (int) Math.min(t.samples.length, (s.fedUntil - t.start) * 16 / 1000);
        }
        int n = t.samples.length - skip;
        if (n <= 0) {
            return;
        }
        short[] part = skip == 0 ? t.samples : java.util.Arrays.copyOfRange(t.samples, skip, t.samples.length);
        catchUp(s, false);
        if (s.decoder != null) {
            s.decoder.process(part, n);
        }
        keepTurnAudio(s, part);
        bufferForReplay(s, new AudioSpan(Math.max(t.start, s.fedUntil), t.end, part));
        s.fedUntil = t.end;
    }

    /**
     * Appends fed audio to the turn's checkpointed audio. Beyond {@code asrReplayMaxMicros} the oldest
     * audio is dropped (down to three quarters of the bound, so the list is rewritten rarely) and the
     * truncation counted: a restore then replays only the newer part of a very long segment.
     */
    private void bufferForReplay(Session s, AudioSpan span) throws Exception {
        s.turnSpans.addLast(span);
        s.bufferedSamples += span.samples.length;
        s.segmentSamples += span.samples.length;
        long max = config.asrReplayMaxMicros * 16 / 1000;
        if (s.bufferedSamples <= max) {
            store.turnAudio.add(span);
            return;
        }
        while (s.turnSpans.size() > 1 && s.bufferedSamples > max * 3 / 4) {
            s.bufferedSamples -= s.turnSpans.removeFirst().samples.length;
        }
        store.turnAudio.update(new ArrayList<>(s.turnSpans));
        replayTruncated.inc();
    }

    private void keepTurnAudio(Session s, short[] part) {
        byte[] b = new byte[part.length * 2];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().put(part);
        s.turnAudio.write(b, 0, b.length);
        int max = (int) (config.turnAudioKeepMicros * 32 / 1000);
        if (s.turnAudio.size() > max * 2) {
            byte[] all = s.turnAudio.toByteArray();
            s.turnAudio.reset();
            s.turnAudio.write(all, all.length - max, max);
        }
    }

    private void maybePartial(String sessionId, Session s, long now, Collector<TurnUpdate> out) {
        if (s.decoder == null || now == Long.MIN_VALUE || now - s.lastPartialAt < config.asrPartialIntervalMicros) {
            return;
        }
        s.lastPartialAt = now;
        String hyp = s.decoder.hypothesis();
        String text = join(s.committedText.toString(), hyp);
        if (text.isEmpty()) {
            return; // nothing recognised yet
        }
        s.lastPartial = text;
        emit(out, sessionId, s, TurnUpdate.Kind.PARTIAL, transcript(sessionId, s, text, false), new HashMap<>());
    }

    private void emitText(Collector<TurnUpdate> out, String sessionId, Session s, TurnUpdate.Kind kind, boolean fin,
            Map<String, Long> stages) {
        Transcript t = transcript(sessionId, s, s.committedText.toString(), fin);
        TurnUpdate u = update(sessionId, s, kind, t, stages);
        byte[] audio = s.turnAudio.toByteArray();
        int max = (int) (config.turnAudioKeepMicros * 32 / 1000);
        u.turnAudio = audio.length <= max ? audio : java.util.Arrays.copyOfRange(audio, audio.length - max, audio.length);
        if (kind == TurnUpdate.Kind.END_OF_TURN) {
            u.screenJpeg = s.latestScreen;
        }
        out.collect(u);
    }

    private void emit(Collector<TurnUpdate> out, String sessionId, Session s, TurnUpdate.Kind kind, Transcript t,
            Map<String, Long> stages) {
        out.collect(update(sessionId, s, kind, t, stages));
    }

    private TurnUpdate update(String sessionId, Session s, TurnUpdate.Kind kind, Transcript t, Map<String, Long> stages) {
        TurnUpdate u = new TurnUpdate(sessionId, s.turnId, kind, t);
        u.stages = stages;
        u.stages.put("asr." + kind.name().toLowerCase(), wallMicros());
        if (t != null) {
            t.getTrace().getStages().putAll(u.stages);
        }
        return u;
    }

    private Transcript transcript(String sessionId, Session s, String text, boolean fin) {
        LatencyTrace trace = LatencyTrace.newBuilder()
                .setSessionId(sessionId)
                .setTraceId(sessionId + "/" + s.turnId)
                .setTurnId(s.turnId)
                .setStages(new HashMap<>())
                .build();
        return Transcript.newBuilder()
                .setSessionId(sessionId)
                .setTurnId(s.turnId)
                .setSeq(s.seq++)
                .setText(text)
                .setIsFinal(fin)
                .setStartMicros(s.turnStart)
                .setEndMicros(Math.max(s.fedUntil, s.turnStart))
                .setConfidence(s.decoderMissing ? 0f : 1f)
                .setTrace(trace)
                .build();
    }

    private static Map<String, Long> stages(SpeechEvent e) {
        Map<String, Long> m = new HashMap<>();
        if (e.getTrace() != null && e.getTrace().getStages() != null) {
            m.putAll(e.getTrace().getStages());
        }
        m.put("asr.event." + e.getType().name().toLowerCase(), wallMicros());
        return m;
    }

    private static String join(String a, String b) {
        if (a.isEmpty()) {
            return b;
        }
        return b.isEmpty() ? a : a + " " + b;
    }

    static long wallMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    /** PCM16 LE samples, or null when the byte count is odd (malformed audio). */
    static short[] samples(ByteBuffer audio) {
        if (audio == null) {
            return new short[0];
        }
        ByteBuffer b = audio.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() % 2 != 0) {
            return null;
        }
        short[] s = new short[b.remaining() / 2];
        b.asShortBuffer().get(s);
        return s;
    }

    /**
     * The modality router's {@code asrActive} for this tick (no decision: active). A tick the router marks inactive
     * is not fed to the decoder once its segment has begun (counted in {@link #feedHeld}); a decoder that an open
     * turn holds between its segments goes back to the pool once the routed silence lasts {@code asrReleaseIdleMicros}.
     */
    private boolean routeAllowsDecoding(PerceptionFrame frame, Session s) {
        io.omnistream.schemas.RouteDecision r = frame.getRoute();
        if (r == null || r.getAsrActive()) {
            s.routedIdleMicros = 0;
            return true;
        }
        s.routedIdleMicros += frame.getTickEndMicros() - frame.getTickStartMicros();
        if (!s.speaking && s.turnOpen && s.decoder != null && s.routedIdleMicros >= config.asrReleaseIdleMicros) {
            pool.giveBack(s.decoder);
            s.decoder = null;
            s.decoderReleased = true;
            routedReleased.inc();
        }
        return false;
    }
}
