package io.omnistream.operators.ocr;

import io.omnistream.operators.route.ModalityRouter;
import io.omnistream.operators.route.WorkCounter;
import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.schemas.PerceptionFrame;
import io.omnistream.schemas.RouteDecision;
import io.omnistream.schemas.VideoFrame;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Decides when a shared screen is worth reading: after the picture changed and then stayed unchanged
 * for {@link UnderstandingConfig#ocrStableMicros} of session time (scrolling, typing and animations
 * are skipped), each picture at most once. Cheap and keyed; the reading itself happens in
 * {@link ScreenOcrAsyncFunction} so that a slow read never holds back the frames that ASR needs.
 * The waiting picture is kept in keyed state, so a restore continues where it left off.
 *
 * <p>A stable picture is released only on a tick whose routing decision allows OCR ({@code ocrTrigger}; no
 * decision allows it); otherwise it keeps waiting, and if a newer picture replaces it first its read is skipped
 * (counted in {@code route.work.ocr.skipped}). With {@link UnderstandingConfig#ocrChangedRegionOnly}, a picture released
 * on a routed frame is marked for a read of its changed region only ({@link ChangedRegionReader}).
 */
public class StableScreenFilter extends KeyedProcessFunction<String, PerceptionFrame, ScreenToRead> {
    private static final long serialVersionUID = 1L;

    private final UnderstandingConfig config;
    private transient ValueState<VideoFrame> waiting;
    private transient ValueState<Long> changedAt;
    private transient WorkCounter reads;
    private transient WorkCounter skipped;

    public StableScreenFilter(UnderstandingConfig config) {
        this.config = config;
    }

    @Override
    public void open(OpenContext openContext) {
        waiting = getRuntimeContext().getState(new ValueStateDescriptor<>("ocr-waiting", VideoFrame.class));
        changedAt = getRuntimeContext().getState(new ValueStateDescriptor<>("ocr-changed-at", Long.class));
        reads = WorkCounter.register(getRuntimeContext(), "work.ocr.run");
        skipped = WorkCounter.register(getRuntimeContext(), "work.ocr.skipped");
    }

    /** Stable pictures whose read the router held back until a newer picture replaced them. */
    public long skippedReads() {
        return skipped == null ? 0 : skipped.count();
    }

    @Override
    public void processElement(PerceptionFrame frame, Context ctx, Collector<ScreenToRead> out) throws Exception {
        VideoFrame screen = frame.getScreen();
        VideoFrame pending = waiting.value();
        if (screen != null && (frame.getScreenChanged() || pending != null && pending.getSeq() != screen.getSeq())) {
            if (pending != null && pending.getSeq() != screen.getSeq()
                    && frame.getTickStartMicros() - changedAt.value() >= config.ocrStableMicros) {
                skipped.inc(); // it was stable, held back by the router, and is now superseded
            }
            waiting.update(screen);
            changedAt.update(frame.getTickEndMicros());
            return;
        }
        if (pending == null || frame.getTickEndMicros() - changedAt.value() < config.ocrStableMicros) {
            return;
        }
        if (!ModalityRouter.allows(frame, RouteDecision::getOcrTrigger)) {
            return;
        }
        waiting.clear();
        changedAt.clear();
        reads.inc();
        // a routed frame (a decision on it) lets the OCR read only what changed since the session's last read
        out.collect(new ScreenToRead(frame.getSessionId(), pending, config.ocrChangedRegionOnly && frame.getRoute() != null));
    }
}
