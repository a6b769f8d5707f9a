package io.omnistream.operators.gpu;

import java.io.Serializable;
import java.util.List;

/**
 * A stateless kernel run on a batch of many sessions' elements by {@link GpuBatchOperator}. Instances are
 * serialised into the job graph; {@link #open()} creates the GPU implementation or its Java twin on the task
 * manager (through {@code io.omnistream.gpu.Kernels}).
 *
 * @param <IN> one session's request
 * @param <OUT> its result
 */
public interface BatchKernel<IN, OUT> extends Serializable, AutoCloseable {

    void open();

    boolean onGpu();

    /** The batch group of a request; requests of one group must be launchable together. */
    int group(IN request);

    /** Throws {@link IllegalArgumentException} for bad input, so the operator can count and drop it. */
    void validate(IN request);

    /** Results in the order of {@code batch}. */
    List<OUT> run(int group, List<IN> batch);

    @Override
    void close();
}
