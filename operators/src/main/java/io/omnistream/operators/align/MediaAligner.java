package io.omnistream.operators.align;

import io.omnistream.schemas.ControlType;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.MediaKind;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.SessionControl;
import io.omnistream.schemas.TrackInfo;
import io.omnistream.schemas.TrackState;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Turns a session's audio chunks, camera pictures and screen pictures into one {@link PerceptionFrame} per tick of
 * the session's media clock, in event time.
 *
 * <p>A tick is emitted when the watermark passes its end, so chunks out of order within the watermark bound land
 * in the right frame. What arrives after its tick was emitted is counted and sent to {@link #LATE_MEDIA}, never
 * written into a frame already emitted. Duplicate sequence numbers are dropped, audio holes are zero-filled and
 * flagged, pictures are put on the audio clock with an offset estimated from the data, and a session's state is
 * cleared when the edge says it ended or when nothing arrived for {@link AlignConfig#abandonAfter}.
 *
 * <p>Input 1 is the union of the media topics, input 2 the session control topic, both keyed by session id.
 */
public class MediaAligner extends KeyedCoProcessFunction<String, MediaChunk, SessionControl, PerceptionFrame> {
    private static final long serialVersionUID = 1L;

    /** Chunks that arrived after the frame they belong to was emitted (the part already emitted, for straddlers). */
    public static final OutputTag<MediaChunk> LATE_MEDIA = new OutputTag<>("late-media", TypeInformation.of(MediaChunk.class));

    private final AlignConfig config;
    private final long tickMicros;
    private final int samplesPerTick;
    /** How far past a tick's end its event-time timer fires (0 in pure event time). */
    private final long watermarkDelayMicros;

    private transient ValueState<AlignState> sessionState;
    /**
     * Processing time at which this instance first ran (set on its first input or timer). Wall time before it —
     * while the job was down between a checkpoint and its restore — is not silence of a session: a restore after
     * an outage longer than {@link AlignConfig#abandonAfter} once cleared every session's state, and with it the
     * first half of the tick in progress (a zero-filled gap no late chunk could explain). A session is abandoned
     * only when, in addition, the watermark has passed its last data by {@code abandonAfter}: a restore whose
     * backlog took longer than that to reach this operator cleared the sessions again (reproduced under load).
     */
    private transient long runningSinceMillis = Long.MIN_VALUE;
    private transient Counter framesEmitted;
    private transient Counter lateChunks;
    private transient Counter duplicateChunks;
    private transient Counter gapSamples;
    private transient Counter malformedChunks;
    private transient Counter sessionsEnded;
    private transient Counter sessionsAbandoned;

    public MediaAligner(AlignConfig config) {
        this.config = config.validate();
        this.tickMicros = config.tickMicros();
        this.samplesPerTick = config.samplesPerTick();
        this.watermarkDelayMicros = config.emitWhenAudioComplete ? config.stalledSessionFlush.toNanos() / 1000 : 0;
    }

    @Override
    public void open(OpenContext openContext) {
        ValueStateDescriptor<AlignState> descriptor = new ValueStateDescriptor<>("align", TypeInformation.of(AlignState.class));
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(config.stateTtl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        sessionState = getRuntimeContext().getState(descriptor);
        MetricGroup metrics = getRuntimeContext().getMetricGroup().addGroup("omni").addGroup("align");
        framesEmitted = metrics.counter("framesEmitted");
        lateChunks = metrics.counter("lateChunks");
        duplicateChunks = metrics.counter("duplicateChunks");
        gapSamples = metrics.counter("gapSamples");
        malformedChunks = metrics.counter("malformedChunks");
        sessionsEnded = metrics.counter("sessionsEnded");
        sessionsAbandoned = metrics.counter("sessionsAbandoned");
    }

    // ---------------------------------------------------------------- media

    @Override
    public void processElement1(MediaChunk chunk, Context ctx, Collector<PerceptionFrame> out) throws Exception {
        ByteBuffer payload = chunk.getPayload();
        if (payload == null || !payload.hasRemaining()
                || (chunk.getKind() == MediaKind.AUDIO && payload.remaining() % 2 != 0)) {
            malformedChunks.inc();
            return;
        }
        AlignState state = sessionState.value();
        if (state == null) {
            state = new AlignState();
            // Ticks lie on a grid of whole ticks since the epoch, whatever chunk of the session arrives first.
            state.originMicros = Math.floorDiv(chunk.getCaptureTimeMicros(), tickMicros) * tickMicros;
        }
        touch(state, ctx);

        switch (state.seqs(chunk.getKind()).add(chunk.getSeq())) {
            case DUPLICATE:
                state.duplicatesSinceFrame++;
                duplicateChunks.inc();
                sessionState.update(state);
                return;
            default:
                break;
        }
        if (chunk.getCaptureTimeMicros() < state.originMicros && state.nextTick == 0) { // nothing emitted yet
            rebase(state, chunk.getCaptureTimeMicros());
        }
        if (chunk.getKind() == MediaKind.AUDIO) {
            acceptAudio(state, chunk, ctx);
            if (config.emitWhenAudioComplete) {
                emitReadyTicks(state, ctx, out);
            }
        } else {
            acceptPicture(state, chunk, ctx);
        }
        sessionState.update(state);
    }

    /**
     * The fast path: emits, in order, every tick whose audio is complete, or that the session's own audio has
     * passed by more than the out-of-orderness bound (its holes cannot be filled any more).
     */
    private void emitReadyTicks(AlignState state, Context ctx, Collector<PerceptionFrame> out) {
        long bound = config.outOfOrderness.toNanos() / 1000;
        long now = ctx.timerService().currentProcessingTime();
        while (true) {
            long k = state.nextTick;
            long end = tickStart(state, k) + tickMicros;
            if (!audioComplete(state, k) && state.maxAudioStartMicros < end + bound) {
                return;
            }
            emitUpTo(state, ctx.getCurrentKey(), k, now, out);
        }
    }

    private boolean audioComplete(AlignState state, long tick) {
        long a = tick * samplesPerTick;
        long b = a + samplesPerTick;
        long coveredUntil = a;
        for (Map.Entry<Long, byte[]> e : state.audio.headMap(b, false).entrySet()) {
            long s0 = e.getKey();
            if (s0 > coveredUntil) {
                return false;
            }
            coveredUntil = Math.max(coveredUntil, s0 + e.getValue().length / 2);
        }
        return coveredUntil >= b;
    }

    private void acceptAudio(AlignState state, MediaChunk chunk, Context ctx) {
        byte[] pcm = bytes(chunk.getPayload());
        long s0 = sampleIndex(state, chunk.getCaptureTimeMicros());
        long s1 = s0 + pcm.length / 2;
        long captureEnd = state.originMicros + s1 * 1_000_000L / config.sampleRate;
        state.offset.observeAudio(captureEnd, chunk.getArrivalTimeMicros(), config.offsetWindow.toNanos() / 1000);

        long emittedUntil = state.nextTick * samplesPerTick;
        if (s1 <= emittedUntil || s0 < emittedUntil) {
            late(state, chunk, ctx);
            if (s1 <= emittedUntil) {
                return;
            }
            // Keep the part that still belongs to frames not yet emitted.
            int skip = (int) (emittedUntil - s0);
            byte[] rest = new byte[pcm.length - 2 * skip];
            System.arraycopy(pcm, 2 * skip, rest, 0, rest.length);
            pcm = rest;
            s0 = emittedUntil;
        }
        state.audio.put(s0, pcm);
        state.audioArrival.put(s0, chunk.getArrivalTimeMicros());
        state.maxAudioStartMicros = Math.max(state.maxAudioStartMicros, chunk.getCaptureTimeMicros());
        state.lastDataMicros = Math.max(state.lastDataMicros, captureEnd);
        registerTickTimer(state, Math.floorDiv(s0, samplesPerTick), ctx);
        registerTickTimer(state, Math.floorDiv(s1 - 1, samplesPerTick), ctx);
    }

    private void acceptPicture(AlignState state, MediaChunk chunk, Context ctx) {
        MediaKind kind = chunk.getKind();
        state.offset.observeVideo(chunk.getCaptureTimeMicros(), chunk.getArrivalTimeMicros(), config.offsetWindow.toNanos() / 1000);
        long offset = currentOffset(state);
        long time = chunk.getCaptureTimeMicros();
        List<Picture> pictures = state.pictures(kind);
        long emittedUntil = tickStart(state, state.nextTick);
        if (time - offset < emittedUntil && !pictures.isEmpty() && time <= pictures.get(0).timeMicros) {
            // A newer picture was already shown for the ticks this one belongs to.
            late(state, chunk, ctx);
            return;
        }
        int at = pictures.size();
        while (at > 0 && pictures.get(at - 1).timeMicros > time) {
            at--;
        }
        pictures.add(at, new Picture(chunk.getSeq(), time, chunk.getArrivalTimeMicros(),
                chunk.getWidth(), chunk.getHeight(), bytes(chunk.getPayload())));
        if (kind == MediaKind.CAMERA) {
            state.cameraSeen = true;
            state.cameraEnded = false;
        } else {
            state.screenSeen = true;
            state.screenEnded = false;
        }
        state.lastDataMicros = Math.max(state.lastDataMicros, time - offset + 1);
        registerTickTimer(state, Math.max(state.nextTick, tickOf(state, time - offset)), ctx);
    }

    // ---------------------------------------------------------------- control

    @Override
    public void processElement2(SessionControl control, Context ctx, Collector<PerceptionFrame> out) throws Exception {
        AlignState state = sessionState.value();
        if (state == null) {
            return;
        }
        if (control.getType() == ControlType.ENDED) {
            long lastTick = tickOf(state, state.lastDataMicros - 1);
            emitUpTo(state, ctx.getCurrentKey(), lastTick, ctx.timerService().currentProcessingTime(), out);
            sessionState.clear();
            sessionsEnded.inc();
            return;
        }
        applyTracks(state, control.getTracks());
        touch(state, ctx);
        sessionState.update(state);
    }

    private static void applyTracks(AlignState state, List<TrackInfo> tracks) {
        boolean camera = false;
        boolean screen = false;
        for (TrackInfo track : tracks) {
            camera |= track.getKind() == MediaKind.CAMERA && track.getEnabled();
            screen |= track.getKind() == MediaKind.SCREEN && track.getEnabled();
        }
        if (state.cameraSeen && !camera) {
            state.cameraEnded = true;
            state.camera.clear();
        }
        if (state.screenSeen && !screen) {
            state.screenEnded = true;
            state.screen.clear();
        }
    }

    // ---------------------------------------------------------------- timers

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<PerceptionFrame> out) throws Exception {
        AlignState state = sessionState.value();
        if (state == null) {
            return;
        }
        if (ctx.timeDomain() == TimeDomain.PROCESSING_TIME) {
            long now = ctx.timerService().currentProcessingTime();
            long quietSince = Math.max(state.lastInputWallMillis, runningSince(now));
            // and the media time agrees: while a restored job replays its backlog the watermark stays behind the
            // session's data (its chunks are still on their way), however long that takes on the wall clock
            boolean mediaMovedOn = ctx.timerService().currentWatermark()
                    >= Math.floorDiv(state.lastDataMicros + config.abandonAfter.toNanos() / 1000, 1000);
            if (now - quietSince >= config.abandonAfter.toMillis() && mediaMovedOn) {
                sessionState.clear();
                sessionsAbandoned.inc();
            } else {
                // restored timers fire at once, and the watermark may still be behind: judge again later
                registerAbandonTimer(Math.max(quietSince, now + 1_000 - config.abandonAfter.toMillis()), ctx);
            }
            return;
        }
        // The newest tick whose timer time is <= timestamp.
        long lastTick = Math.floorDiv((timestamp + 1) * 1000 - watermarkDelayMicros - state.originMicros, tickMicros) - 1;
        if (lastTick < state.nextTick) {
            return;
        }
        long firstData = firstTickWithNewData(state);
        if (firstData - state.nextTick > config.maxGapFrames) {
            state.nextTick = Math.min(firstData, lastTick);
        }
        emitUpTo(state, ctx.getCurrentKey(), lastTick, ctx.timerService().currentProcessingTime(), out);
        sessionState.update(state);
    }

    private void emitUpTo(AlignState state, String sessionId, long lastTick, long nowMillis, Collector<PerceptionFrame> out) {
        for (long k = state.nextTick; k <= lastTick; k++) {
            out.collect(buildFrame(state, sessionId, k, nowMillis));
            state.nextTick = k + 1;
        }
    }

    private PerceptionFrame buildFrame(AlignState state, String sessionId, long tick, long nowMillis) {
        long a = tick * samplesPerTick;
        long b = a + samplesPerTick;
        byte[] pcm = new byte[samplesPerTick * 2];
        boolean[] covered = new boolean[samplesPerTick];
        long maxArrival = 0;
        NavigableMap<Long, byte[]> head = state.audio.headMap(b, false);
        for (var it = head.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, byte[]> e = it.next();
            long s0 = e.getKey();
            byte[] src = e.getValue();
            long s1 = s0 + src.length / 2;
            long from = Math.max(s0, a);
            long to = Math.min(s1, b);
            if (to > from) {
                System.arraycopy(src, (int) (from - s0) * 2, pcm, (int) (from - a) * 2, (int) (to - from) * 2);
                for (long s = from; s < to; s++) {
                    covered[(int) (s - a)] = true;
                }
                maxArrival = Math.max(maxArrival, state.audioArrival.getOrDefault(s0, 0L));
            }
            if (s1 <= b) {
                it.remove();
                state.audioArrival.remove(s0);
            }
        }
        int gaps = 0;
        for (boolean c : covered) {
            gaps += c ? 0 : 1;
        }
        gapSamples.inc(gaps);

        long start = tickStart(state, tick);
        long end = start + tickMicros;
        PerceptionFrame.Builder frame = PerceptionFrame.newBuilder()
                .setSessionId(sessionId)
                .setTickIndex(tick)
                .setTickStartMicros(start)
                .setTickEndMicros(end)
                .setAudio(ByteBuffer.wrap(pcm))
                .setAudioGapSamples(gaps)
                .setAvOffsetMicros(currentOffset(state))
                .setLateChunks(state.lateSinceFrame)
                .setDuplicateChunks(state.duplicatesSinceFrame)
                .setEmitTimeMicros(nowMillis * 1000);

        long offset = currentOffset(state);
        Picture camera = newestBefore(state.camera, end + offset);
        frame.setCameraState(trackState(state.cameraSeen, state.cameraEnded, camera, end + offset, config.cameraStaleAfter.toNanos() / 1000));
        frame.setCamera(camera == null || state.cameraEnded ? null : camera.toVideoFrame(offset));

        Picture screen = newestBefore(state.screen, end + offset);
        frame.setScreenState(trackState(state.screenSeen, state.screenEnded, screen, end + offset, config.screenStaleAfter.toNanos() / 1000));
        boolean changed = screen != null && screen.seq != state.lastScreenSeqEmitted;
        frame.setScreenChanged(changed);
        frame.setScreen(screen != null && !state.screenEnded && (changed || config.repeatUnchangedScreen) ? screen.toVideoFrame(offset) : null);
        if (screen != null) {
            state.lastScreenSeqEmitted = screen.seq;
        }
        for (Picture p : new Picture[] {camera, screen}) {
            if (p != null && p.timeMicros - offset >= start) {
                maxArrival = Math.max(maxArrival, p.arrivalMicros);
            }
        }
        frame.setMaxArrivalTimeMicros(maxArrival);

        state.lateSinceFrame = 0;
        state.duplicatesSinceFrame = 0;
        framesEmitted.inc();
        return frame.build();
    }

    /** The newest picture taken before {@code end} (on the picture's own clock); older ones are dropped from the list. */
    private static Picture newestBefore(List<Picture> pictures, long end) {
        int idx = -1;
        for (int i = 0; i < pictures.size() && pictures.get(i).timeMicros < end; i++) {
            idx = i;
        }
        if (idx < 0) {
            return null;
        }
        if (idx > 0) {
            pictures.subList(0, idx).clear();
        }
        return pictures.get(0);
    }

    private static TrackState trackState(boolean seen, boolean ended, Picture picture, long end, long staleAfterMicros) {
        if (ended) {
            return TrackState.ENDED;
        }
        if (!seen || picture == null) {
            return TrackState.MISSING;
        }
        return staleAfterMicros > 0 && end - picture.timeMicros > staleAfterMicros ? TrackState.STALE : TrackState.OK;
    }

    // ---------------------------------------------------------------- helpers

    private void touch(AlignState state, Context ctx) {
        long now = ctx.timerService().currentProcessingTime();
        runningSince(now);
        state.lastInputWallMillis = now;
        registerAbandonTimer(now, ctx);
    }

    /** One timer per second of activity at most (timers of a key and time are kept once). */
    private void registerAbandonTimer(long quietSinceMillis, Context ctx) {
        long deadline = quietSinceMillis + config.abandonAfter.toMillis();
        ctx.timerService().registerProcessingTimeTimer((deadline / 1000 + 1) * 1000);
    }

    private long runningSince(long nowMillis) {
        if (runningSinceMillis == Long.MIN_VALUE) {
            runningSinceMillis = nowMillis;
        }
        return runningSinceMillis;
    }

    private void late(AlignState state, MediaChunk chunk, Context ctx) {
        state.lateSinceFrame++;
        lateChunks.inc();
        ctx.output(LATE_MEDIA, chunk);
    }

    private long currentOffset(AlignState state) {
        return state.offset.offsetMicros(config.offsetMinSamples, config.offsetMinCorrection.toNanos() / 1000);
    }

    private void registerTickTimer(AlignState state, long tick, Context ctx) {
        long endMicros = tickStart(state, tick) + tickMicros + watermarkDelayMicros;
        ctx.timerService().registerEventTimeTimer(Math.floorDiv(endMicros - 1, 1000));
    }

    private long tickStart(AlignState state, long tick) {
        return state.originMicros + tick * tickMicros;
    }

    private long tickOf(AlignState state, long timeMicros) {
        return Math.floorDiv(timeMicros - state.originMicros, tickMicros);
    }

    private long sampleIndex(AlignState state, long timeMicros) {
        return Math.round((timeMicros - state.originMicros) * (double) config.sampleRate / 1_000_000.0);
    }

    private long firstTickWithNewData(AlignState state) {
        long first = Long.MAX_VALUE;
        if (!state.audio.isEmpty()) {
            first = Math.floorDiv(state.audio.firstKey(), samplesPerTick);
        }
        long emittedUntil = tickStart(state, state.nextTick);
        long offset = currentOffset(state);
        for (List<Picture> pictures : List.of(state.camera, state.screen)) {
            for (Picture p : pictures) {
                if (p.timeMicros - offset >= emittedUntil) {
                    first = Math.min(first, tickOf(state, p.timeMicros - offset));
                    break;
                }
            }
        }
        return first;
    }

    /** Moves the tick grid back by whole ticks so a chunk older than the first one seen still gets a tick. */
    private void rebase(AlignState state, long captureMicros) {
        long ticks = Math.floorDiv(state.originMicros - captureMicros + tickMicros - 1, tickMicros);
        state.originMicros -= ticks * tickMicros;
        long shift = ticks * samplesPerTick;
        state.audio = shiftKeys(state.audio, shift);
        state.audioArrival = shiftKeys(state.audioArrival, shift);
    }

    private static <V> TreeMap<Long, V> shiftKeys(TreeMap<Long, V> map, long shift) {
        TreeMap<Long, V> moved = new TreeMap<>();
        map.forEach((k, v) -> moved.put(k + shift, v));
        return moved;
    }

    /** The payload's bytes, without a copy when the buffer wraps a whole array (as Avro's decoder gives us). */
    private static byte[] bytes(ByteBuffer buffer) {
        if (buffer.hasArray() && buffer.arrayOffset() == 0 && buffer.position() == 0
                && buffer.remaining() == buffer.array().length) {
            return buffer.array();
        }
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
