package io.omnistream.operators.gpu;

import io.omnistream.gpu.attention.AttentionBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Cuts each session's token stream into windows of {@link GpuStagesConfig#windowTicks} ticks and turns every window
 * into one {@link AttentionRequest}: audio tokens (log-mel frames), lip tokens (one per tick with a usable face),
 * screen tokens (one per changed screen picture), no text tokens yet, projected to q/k/v by
 * {@link ModalityProjection}, with the gates of the router's newest decision in the window
 * ({@code RouteDecision.attentionPairs}) or, without one, every pair of the modalities present.
 *
 * <p>The three paths (log-mel, lips, frames) arrive interleaved but each in tick order, so a window is complete
 * as soon as every path has passed its last tick (the low-latency rule). A path that skipped ticks (its input was
 * rejected as bad) cannot hold a window back for long: once the watermark passes the timestamp of the window's last
 * tick, every part of it that will ever come has come (all paths carry the frame's timestamp), and it goes out with
 * what it has, together with any earlier window still open. A window is emitted once; parts that arrive for an
 * emitted window are dropped and counted. A session's last, unfinished window is not emitted; state of sessions that
 * stop expires after {@link #STATE_TTL}.
 */
public final class CrossModalWindowAssembler extends KeyedProcessFunction<String, TickTokens, AttentionRequest> {
    private static final long serialVersionUID = 1L;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CrossModalWindowAssembler.class);

    static final Duration STATE_TTL = Duration.ofMinutes(10);

    /** The tokens of one window collected so far. A Flink POJO. */
    public static class Window {
        public long startMicros = Long.MAX_VALUE;
        public float[][] raw = new float[3][0];
        public int[] tokens = new int[3];
        public int attentionPairs = -1;
        public long pairsTick = Long.MIN_VALUE;
        /** Largest timestamp of the window's parts, and whether a part of its last tick came (timer rule). */
        public long maxTimestamp = Long.MIN_VALUE;
        public boolean sawLastTick;

        public Window() {}
    }

    private final GpuStagesConfig config;
    private transient ModalityProjection projection;
    private transient MapState<Long, Window> windows;
    private transient ValueState<long[]> passed;
    private transient ValueState<Long> emittedBelow;
    private transient Counter windowsEmitted;
    private transient Counter windowsIncomplete;
    private transient Counter badInput;
    private transient Counter lateParts;

    public CrossModalWindowAssembler(GpuStagesConfig config) {
        config.validate();
        this.config = config;
    }

    @Override
    public void open(OpenContext openContext) {
        projection = new ModalityProjection(config.heads, config.projectionSeed);
        StateTtlConfig ttl = StateTtlConfig.newBuilder(STATE_TTL).build();
        MapStateDescriptor<Long, Window> wd = new MapStateDescriptor<>("crossModalWindows", Types.LONG,
                TypeInformation.of(Window.class));
        wd.enableTimeToLive(ttl);
        windows = getRuntimeContext().getMapState(wd);
        ValueStateDescriptor<long[]> pd = new ValueStateDescriptor<>("crossModalPassed",
                TypeInformation.of(long[].class));
        pd.enableTimeToLive(ttl);
        passed = getRuntimeContext().getState(pd);
        ValueStateDescriptor<Long> ed = new ValueStateDescriptor<>("crossModalEmittedBelow", Types.LONG);
        ed.enableTimeToLive(ttl);
        emittedBelow = getRuntimeContext().getState(ed);
        windowsEmitted = getRuntimeContext().getMetricGroup().counter("crossModalWindows");
        windowsIncomplete = getRuntimeContext().getMetricGroup().counter("crossModalWindowsIncomplete");
        badInput = getRuntimeContext().getMetricGroup().counter("crossModalBadInput");
        lateParts = getRuntimeContext().getMetricGroup().counter("crossModalLateParts");
    }

    @Override
    public void processElement(TickTokens part, Context ctx, Collector<AttentionRequest> out) throws Exception {
        if (part.path < 0 || part.path >= TickTokens.PATHS || part.tokens < 0 || (part.tokens > 0
                && (part.values == null || part.values.length != part.tokens * ModalityProjection.RAW_DIM[modalityOf(part.path)]))) {
            LOG.warn("session {}: dropped malformed tokens of path {} at tick {}", part.sessionId, part.path, part.tickIndex);
            badInput.inc();
            return;
        }
        long w = Math.floorDiv(part.tickIndex, config.windowTicks);
        Long below = emittedBelow.value();
        if (below != null && w < below) {
            lateParts.inc();
            return;
        }
        Window win = windows.get(w);
        if (win == null) {
            win = new Window();
        }
        win.startMicros = Math.min(win.startMicros, part.tickStartMicros);
        if (part.tokens > 0) {
            float[] old = win.raw[part.path];
            float[] grown = Arrays.copyOf(old, old.length + part.values.length);
            System.arraycopy(part.values, 0, grown, old.length, part.values.length);
            win.raw[part.path] = grown;
            win.tokens[part.path] += part.tokens;
        }
        if (part.path == TickTokens.FRAME && part.attentionPairs >= 0 && part.tickIndex >= win.pairsTick) {
            win.attentionPairs = part.attentionPairs;
            win.pairsTick = part.tickIndex;
        }
        if (part.tickIndex == lastTick(w)) {
            win.sawLastTick = true;
        }
        Long ts = ctx.timestamp();
        if (ts != null) {
            win.maxTimestamp = Math.max(win.maxTimestamp, ts);
            ctx.timerService().registerEventTimeTimer(ts);
        }
        windows.put(w, win);

        long[] p = passed.value();
        if (p == null) {
            p = new long[] {Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE};
        }
        p[part.path] = Math.max(p[part.path], part.tickIndex);
        passed.update(p);
        emitReady(ctx.getCurrentKey(), p, ctx.timerService().currentWatermark(), out);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<AttentionRequest> out) throws Exception {
        long[] p = passed.value();
        if (p != null) {
            emitReady(ctx.getCurrentKey(), p, timestamp, out);
        }
    }

    private long lastTick(long window) {
        return (window + 1) * config.windowTicks - 1;
    }

    /**
     * Emits, in order, every open window up to the newest one that is ready: all paths passed its last tick, or the
     * watermark passed its last tick's timestamp (then every earlier window is complete too).
     */
    private void emitReady(String sessionId, long[] p, long watermark, Collector<AttentionRequest> out) throws Exception {
        long slowest = Math.min(p[0], Math.min(p[1], p[2]));
        long newestReady = Long.MIN_VALUE;
        List<Long> open = new ArrayList<>();
        for (Map.Entry<Long, Window> e : windows.entries()) {
            long key = e.getKey();
            open.add(key);
            Window win = e.getValue();
            if (slowest >= lastTick(key) || (win.sawLastTick && win.maxTimestamp <= watermark)) {
                newestReady = Math.max(newestReady, key);
            }
        }
        if (newestReady == Long.MIN_VALUE) {
            return;
        }
        open.sort(null);
        for (Long key : open) {
            if (key > newestReady) {
                break;
            }
            Window done = windows.get(key);
            windows.remove(key);
            if (slowest < lastTick(key)) {
                windowsIncomplete.inc();
            }
            AttentionRequest r = request(sessionId, key, done);
            if (r != null) {
                windowsEmitted.inc();
                out.collect(r);
            }
        }
        emittedBelow.update(newestReady + 1);
    }

    private static int modalityOf(int path) {
        return path == TickTokens.AUDIO ? 0 : path == TickTokens.LIPS ? 1 : 2;
    }

    /** The window's attention request, or null when it has no token at all. */
    AttentionRequest request(String sessionId, long window, Window win) {
        int[] seg = {win.tokens[TickTokens.AUDIO], win.tokens[TickTokens.LIPS], win.tokens[TickTokens.FRAME], 0};
        int total = seg[0] + seg[1] + seg[2];
        if (total == 0) {
            return null;
        }
        int width = config.heads * AttentionBatch.HEAD_DIM;
        AttentionRequest r = new AttentionRequest();
        r.sessionId = sessionId;
        r.timeMicros = win.startMicros == Long.MAX_VALUE ? 0 : win.startMicros;
        r.windowStartTick = window * config.windowTicks;
        r.ticks = config.windowTicks;
        r.heads = config.heads;
        r.segmentLengths = seg;
        r.gates = gates(win.attentionPairs, seg);
        r.q = new float[total * width];
        r.k = new float[total * width];
        r.v = new float[total * width];
        int at = 0;
        for (int path = 0; path < TickTokens.PATHS; path++) {
            int m = modalityOf(path);
            projection.project(m, win.raw[path], seg[m], r.q, r.k, r.v, at);
            at += seg[m];
        }
        return r;
    }

    /** The router's pairs (all 16 when the frames carry no decision), restricted to the modalities present. */
    static int gates(int attentionPairs, int[] segmentLengths) {
        int pairs = attentionPairs < 0 ? 0xFFFF : attentionPairs & 0xFFFF;
        int present = 0;
        for (int q = 0; q < 4; q++) {
            for (int k = 0; k < 4; k++) {
                if (segmentLengths[q] > 0 && segmentLengths[k] > 0) {
                    present |= 1 << (q * 4 + k);
                }
            }
        }
        return pairs & present;
    }
}
