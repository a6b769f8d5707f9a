package io.omnistream.operators.gpu;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * Runs a stateless {@link BatchKernel} on batches of many sessions' elements (see
 * {@link AbstractGpuBatchOperator} for batching and metrics). Works on keyed and non-keyed streams; for
 * cross-session batching put it on a non-keyed (rebalanced or forward) stream so one instance sees many sessions.
 */
public final class GpuBatchOperator<IN, OUT> extends AbstractGpuBatchOperator<IN, IN, OUT> {

    private static final long serialVersionUID = 1L;

    private final BatchKernel<IN, OUT> kernel;

    public GpuBatchOperator(BatchKernel<IN, OUT> kernel, GpuBatchConfig config) {
        super(config);
        this.kernel = kernel;
    }

    /** Adds the operator to {@code input}: {@code input.transform(name, type, new GpuBatchOperator<>(...))}. */
    public static <IN, OUT> SingleOutputStreamOperator<OUT> apply(DataStream<IN> input, String name,
            BatchKernel<IN, OUT> kernel, GpuBatchConfig config, TypeInformation<OUT> outType) {
        return input.transform(name, outType, new GpuBatchOperator<>(kernel, config));
    }

    @Override
    protected void openKernel() {
        kernel.open();
    }

    @Override
    protected boolean kernelOnGpu() {
        return kernel.onGpu();
    }

    @Override
    protected void closeKernel() {
        kernel.close();
    }

    @Override
    protected int batchGroup(IN element) {
        return kernel.group(element);
    }

    @Override
    protected IN prepare(IN element) {
        kernel.validate(element);
        return element;
    }

    @Override
    protected void runBatch(int group, List<Pending<IN>> batch) {
        List<IN> in = new ArrayList<>(batch.size());
        for (Pending<IN> p : batch) {
            in.add(p.value);
        }
        List<OUT> out = kernel.run(group, in);
        for (int i = 0; i < batch.size(); i++) {
            emit(batch.get(i), out.get(i));
        }
    }
}
