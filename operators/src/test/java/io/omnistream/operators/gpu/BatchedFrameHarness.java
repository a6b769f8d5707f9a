package io.omnistream.operators.gpu;

import io.omnistream.schemas.PerceptionFrame;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

/**
 * Runs a batching operator on perception frames as the job does: keyed by session, each frame at its tick end, the
 * operator's batch wait passing between groups of frames (so batches hold one or several frames per session).
 */
final class BatchedFrameHarness {
    private BatchedFrameHarness() {}

    static KeyedOneInputStreamOperatorTestHarness<String, PerceptionFrame, PerceptionFrame> harness(
            AbstractGpuBatchOperator<PerceptionFrame, ?, PerceptionFrame> op) throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(op, PerceptionFrame::getSessionId, Types.STRING);
    }

    /** Feeds frames, letting the operator's batch wait pass after every {@code every} frames, and flushes at the end. */
    static void feed(KeyedOneInputStreamOperatorTestHarness<String, PerceptionFrame, PerceptionFrame> h,
            List<PerceptionFrame> frames, int every) throws Exception {
        long wait = ((AbstractGpuBatchOperator<?, ?, ?>) h.getOperator()).config.maxWait.toMillis();
        int i = 0;
        for (PerceptionFrame f : frames) {
            h.processElement(f, f.getTickEndMicros() / 1000);
            if (++i % every == 0) {
                h.setProcessingTime(h.getProcessingTime() + wait);
            }
        }
        h.setProcessingTime(h.getProcessingTime() + wait);
    }
}
