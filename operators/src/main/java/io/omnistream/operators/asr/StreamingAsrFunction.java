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
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Streaming speech recognition of the customer's turns: the session's perception frames (audio) and
 * its turn-taking events meet here, keyed by session, so that a turn's audio is decoded from its
 * speech start (with a short pre-roll) until the speech drop, partial text is published while the
 * customer talks, and the final text at the end of the turn.
 *
 * <p>An event is applied once the frames up to its session time have arrived (events are derived
 * from the same frames and normally come later); if the session's frames stop coming for a short
 * wall-clock wait it is applied anyway (late frames are waited for as long as they keep coming). Decoders come from a per-instance {@link SphinxDecoderPool}. The decoding
 * state of a turn lives in the instance (native decoders cannot be checkpointed): after a failover
 * the turn in progress is lost, the next turn is recognised normally.
 */
public class StreamingAsrFunction extends KeyedCoProcessFunction<String, PerceptionFrame, SpeechEvent, TurnUpdate> {
    private static final long serialVersionUID = 1L;
    private static final long PREROLL_RING_MICROS = 1_000_000;

    private final UnderstandingConfig config;
    private transient SphinxDecoderPool pool;
    private transient Map<String, Session> sessions;
    private transient Counter badAudio;
    private transient Counter noDecoder;
    private transient Counter orphanEvents;
    private transient Counter finals;

    public StreamingAsrFunction(UnderstandingConfig config) {
        this.config = config;
    }

    /** Audio of one tick, kept for the pre-roll. */
    private static final class Tick {
        final long start;
        final long end;
        final short[] samples;

        Tick(long start, long end, short[] samples) {
            this.start = start;
            this.end = end;
            this.samples = samples;
        }
    }

    /** Per-session decoding state (not checkpointed, see class comment). */
    private static final class Session {
        final ArrayDeque<Tick> ring = new ArrayDeque<>();
        final List<SpeechEvent> pending = new ArrayList<>();
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
    }

    @Override
    public void open(OpenContext openContext) {
        pool = new SphinxDecoderPool(config);
        sessions = new HashMap<>();
        badAudio = getRuntimeContext().getMetricGroup().counter("asrBadAudio");
        noDecoder = getRuntimeContext().getMetricGroup().counter("asrNoFreeDecoder");
        orphanEvents = getRuntimeContext().getMetricGroup().counter("asrEventsWithoutTurn");
        finals = getRuntimeContext().getMetricGroup().counter("asrFinalTranscripts");
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

    @Override
    public void processElement1(PerceptionFrame frame, Context ctx, Collector<TurnUpdate> out) {
        Session s = sessions.computeIfAbsent(frame.getSessionId(), k -> new Session());
        s.lastFrameWallMillis = ctx.timerService().currentProcessingTime();
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
            }
        }
        Tick tick = new Tick(frame.getTickStartMicros(), frame.getTickEndMicros(), samples);
        s.ring.addLast(tick);
        while (!s.ring.isEmpty() && s.ring.peekFirst().end < tick.end - PREROLL_RING_MICROS) {
            s.ring.removeFirst();
        }
        s.lastTickEnd = Math.max(s.lastTickEnd, tick.end);
        if (s.speaking) {
            feed(s, tick);
            maybePartial(frame.getSessionId(), s, tick.end, out);
        }
        applyReadyEvents(frame.getSessionId(), s, false, out);
    }

    @Override
    public void processElement2(SpeechEvent event, Context ctx, Collector<TurnUpdate> out) {
        Session s = sessions.computeIfAbsent(event.getSessionId(), k -> new Session());
        s.pending.add(event);
        s.pending.sort((a, b) -> Long.compare(a.getSessionTimeMicros(), b.getSessionTimeMicros()));
        applyReadyEvents(event.getSessionId(), s, false, out);
        if (!s.pending.isEmpty()) {
            ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + config.eventWaitForAudioMillis);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<TurnUpdate> out) {
        Session s = sessions.get(ctx.getCurrentKey());
        if (s == null || s.pending.isEmpty()) {
            return;
        }
        if (timestamp - s.lastFrameWallMillis < config.eventWaitForAudioMillis) {
            // audio is still flowing, only late: keep waiting for it
            ctx.timerService().registerProcessingTimeTimer(timestamp + config.eventWaitForAudioMillis);
            return;
        }
        applyReadyEvents(ctx.getCurrentKey(), s, true, out);
    }

    private void applyReadyEvents(String sessionId, Session s, boolean force, Collector<TurnUpdate> out) {
        Iterator<SpeechEvent> it = s.pending.iterator();
        while (it.hasNext()) {
            SpeechEvent e = it.next();
            if (!force && audioNeededUntil(e) > s.lastTickEnd) {
                break;
            }
            it.remove();
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

    private void apply(String sessionId, Session s, SpeechEvent e, Collector<TurnUpdate> out) {
        SpeechEventType type = e.getType();
        Map<String, Long> stages = stages(e);
        switch (type) {
            case SPEECH_START:
                if (s.turnOpen && s.turnId == e.getTurnId()) {
                    // speech resumed within the same turn: the prepared answer is discarded
                    emit(out, sessionId, s, TurnUpdate.Kind.RESUMED, null, stages);
                } else {
                    if (s.turnOpen) {
                        emit(out, sessionId, s, TurnUpdate.Kind.RESUMED, null, stages);
                        closeTurn(s);
                    }
                    openTurn(s, e);
                }
                startSegment(sessionId, s, e, out);
                break;
            case SPEECH_END:
                if (!s.turnOpen || s.turnId != e.getTurnId()) {
                    orphanEvents.inc();
                    return;
                }
                endSegment(s);
                emitText(out, sessionId, s, TurnUpdate.Kind.SPEECH_PAUSE, false, stages);
                break;
            case END_OF_TURN:
                if (!s.turnOpen || s.turnId != e.getTurnId()) {
                    orphanEvents.inc();
                    return;
                }
                endSegment(s);
                emitText(out, sessionId, s, TurnUpdate.Kind.END_OF_TURN, true, stages);
                finals.inc();
                closeTurn(s);
                break;
            case BARGE_IN:
                TurnUpdate u = new TurnUpdate(sessionId, e.getTurnId(), TurnUpdate.Kind.BARGE_IN, null);
                u.stages = stages;
                out.collect(u);
                break;
            default:
                break;
        }
    }

    private void openTurn(Session s, SpeechEvent e) {
        s.turnOpen = true;
        s.turnId = e.getTurnId();
        s.committedText.setLength(0);
        s.seq = 0;
        s.turnAudio.reset();
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
    }

    private void startSegment(String sessionId, Session s, SpeechEvent e, Collector<TurnUpdate> out) {
        s.speaking = true;
        long boundary = e.getSpeechTimeMicros() > 0 ? e.getSpeechTimeMicros() : e.getSessionTimeMicros();
        long from = Math.max(0, boundary - config.asrPrerollMicros);
        if (s.decoder != null) {
            s.decoder.start();
        }
        s.fedUntil = from;
        s.lastPartialAt = from;
        for (Tick t : s.ring) {
            if (t.end > from) {
                feed(s, t);
            }
        }
        maybePartial(sessionId, s, s.lastTickEnd, out);
    }

    private void endSegment(Session s) {
        if (!s.speaking) {
            return;
        }
        s.speaking = false;
        if (s.decoder != null) {
            String seg = s.decoder.finish();
            if (!seg.isEmpty()) {
                if (s.committedText.length() > 0) {
                    s.committedText.append(' ');
                }
                s.committedText.append(seg);
            }
        }
    }

    private void feed(Session s, Tick t) {
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
        if (s.decoder != null) {
            s.decoder.process(part, n);
        }
        keepTurnAudio(s, part);
        s.fedUntil = t.end;
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
}
