package io.omnistream.operators.gpu;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The batching engine shared by the GPU wrappers: one operator instance collects elements of many sessions,
 * grouped by a batch group (the modality combination, or whatever makes elements launchable together), and
 * runs each group as one kernel batch when it is full or when its oldest element has waited
 * {@link GpuBatchConfig#maxWait} (a processing-time timer). Batches are also flushed before every checkpoint
 * barrier and at end of input, so nothing buffered is lost. Watermarks are held back while elements wait: the
 * operator forwards at most (earliest buffered timestamp - 1) and the rest after the batch ran, so no buffered
 * element ever becomes late downstream. Timers and elements run in the task's mailbox thread, so no locking is
 * needed.
 *
 * <p>Metrics (group {@code gpu}): histograms {@code batchMicros} and {@code batchSize}, counters {@code batches},
 * {@code elements}, {@code badInput}, gauge {@code onGpu} (1 when the kernel runs on a GPU, 0 on the Java twin).
 *
 * @param <IN> input element
 * @param <P> an element prepared for batching (validated, state read); {@code null} from {@link #prepare} rejects it
 * @param <OUT> output element
 */
public abstract class AbstractGpuBatchOperator<IN, P, OUT> extends AbstractStreamOperator<OUT>
        implements OneInputStreamOperator<IN, OUT>, ProcessingTimeCallback {

    private static final long serialVersionUID = 1L;

    protected final GpuBatchConfig config;
    private transient Map<Integer, List<Pending<P>>> groups;
    private transient Map<Integer, Long> deadlines;
    private transient Histogram batchMicros;
    private transient Histogram batchSize;
    private transient Counter batches;
    private transient Counter elements;
    private transient Counter badInput;
    /** Newest watermark received, and newest forwarded (never past a buffered element). */
    private transient long receivedWatermark;
    private transient long forwardedWatermark;

    /** A prepared element with its timestamp (event time, if any) and its key (for keyed state). */
    protected static final class Pending<P> {
        public final P value;
        public final long timestamp;
        public final boolean hasTimestamp;
        public final Object key;

        Pending(P value, long timestamp, boolean hasTimestamp, Object key) {
            this.value = value;
            this.timestamp = timestamp;
            this.hasTimestamp = hasTimestamp;
            this.key = key;
        }
    }

    protected AbstractGpuBatchOperator(GpuBatchConfig config) {
        config.validate();
        this.config = config;
    }

    /** Creates the kernel (GPU or twin). */
    protected abstract void openKernel() throws Exception;

    protected abstract boolean kernelOnGpu();

    /** Whether the kernel runs on a GPU (else the Java twin). */
    public boolean onGpu() {
        return kernelOnGpu();
    }

    protected abstract void closeKernel() throws Exception;

    /** The batch group of an element; elements of one group are launched together. One group unless overridden. */
    protected int batchGroup(IN element) {
        return 0;
    }

    /**
     * Validates and prepares an element in its own key context; returns {@code null} (after logging) to reject bad
     * input, which is counted in {@code badInput} and dropped without affecting other sessions.
     */
    protected abstract P prepare(IN element) throws Exception;

    /** Runs one batch and emits its outputs through {@link #emit}. */
    protected abstract void runBatch(int group, List<Pending<P>> batch) throws Exception;

    @Override
    public void open() throws Exception {
        super.open();
        groups = new HashMap<>();
        deadlines = new HashMap<>();
        receivedWatermark = Long.MIN_VALUE;
        forwardedWatermark = Long.MIN_VALUE;
        MetricGroup m = getMetricGroup().addGroup("gpu");
        batchMicros = m.histogram("batchMicros", new DescriptiveStatisticsHistogram(config.histogramWindow));
        batchSize = m.histogram("batchSize", new DescriptiveStatisticsHistogram(config.histogramWindow));
        batches = m.counter("batches");
        elements = m.counter("elements");
        badInput = m.counter("badInput");
        openKernel();
        m.gauge("onGpu", () -> kernelOnGpu() ? 1 : 0);
    }

    @Override
    public void processElement(StreamRecord<IN> record) throws Exception {
        IN in = record.getValue();
        P prepared;
        int group;
        try {
            group = batchGroup(in);
            prepared = prepare(in);
        } catch (IllegalArgumentException e) {
            LOG.warn("rejected bad input: {}", e.getMessage());
            prepared = null;
            group = 0;
        }
        if (prepared == null) {
            badInput.inc();
            return;
        }
        elements.inc();
        Object key = getKeyedStateBackend() == null ? null : getCurrentKey();
        List<Pending<P>> list = groups.computeIfAbsent(group, g -> new ArrayList<>());
        list.add(new Pending<>(prepared, record.getTimestamp(), record.hasTimestamp(), key));
        if (list.size() >= config.maxBatchSize) {
            flush(group);
        } else if (list.size() == 1) {
            long now = getProcessingTimeService().getCurrentProcessingTime();
            long deadline = now + config.maxWait.toMillis();
            deadlines.put(group, deadline);
            if (config.maxWait.isZero()) {
                flush(group);
            } else {
                getProcessingTimeService().registerTimer(deadline, this);
            }
        }
    }

    @Override
    public void onProcessingTime(long time) throws Exception {
        for (Integer g : new ArrayList<>(groups.keySet())) {
            Long d = deadlines.get(g);
            if (d != null && d <= time) {
                flush(g);
            }
        }
    }

    /** Flushes every group (before checkpoints and at end of input). */
    protected void flushAll() throws Exception {
        for (Integer g : new ArrayList<>(groups.keySet())) {
            flush(g);
        }
    }

    private void flush(int group) throws Exception {
        List<Pending<P>> batch = groups.remove(group);
        deadlines.remove(group);
        if (batch == null || batch.isEmpty()) {
            return;
        }
        Object keyBefore = getKeyedStateBackend() == null ? null : getCurrentKey();
        long start = System.nanoTime();
        runBatch(group, batch);
        batchMicros.update((System.nanoTime() - start) / 1_000);
        batchSize.update(batch.size());
        batches.inc();
        if (keyBefore != null) {
            setCurrentKey(keyBefore);
        }
        advanceWatermark();
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        receivedWatermark = Math.max(receivedWatermark, mark.getTimestamp());
        advanceWatermark();
    }

    /** Forwards the received watermark as far as the buffered elements allow. */
    private void advanceWatermark() throws Exception {
        long limit = receivedWatermark;
        for (List<Pending<P>> list : groups.values()) {
            for (Pending<P> p : list) {
                if (p.hasTimestamp) {
                    limit = Math.min(limit, p.timestamp - 1);
                }
            }
        }
        if (limit > forwardedWatermark) {
            forwardedWatermark = limit;
            super.processWatermark(new Watermark(limit));
        }
    }

    /** Emits one output carrying the element's original timestamp. */
    protected void emit(Pending<P> p, OUT value) {
        if (p.hasTimestamp) {
            output.collect(new StreamRecord<>(value, p.timestamp));
        } else {
            output.collect(new StreamRecord<>(value));
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flushAll();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void finish() throws Exception {
        flushAll();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        try {
            closeKernel();
        } finally {
            super.close();
        }
    }

    /** Histogram of batch wall time in microseconds (for tests and reporters). */
    public Histogram batchMicrosHistogram() {
        return batchMicros;
    }

    public Histogram batchSizeHistogram() {
        return batchSize;
    }

    public long badInputCount() {
        return badInput.getCount();
    }
}
