package io.omnistream.operators.gpu;

import java.io.Serializable;
import java.time.Duration;

/**
 * Batching settings of the GPU wrappers, with defaults for the live path: a batch is launched when it holds
 * {@link #maxBatchSize} elements or when its oldest element has waited {@link #maxWait} of processing time,
 * whichever comes first.
 */
public final class GpuBatchConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final Duration DEFAULT_MAX_WAIT = Duration.ofMillis(5);
    public static final int DEFAULT_MAX_BATCH_SIZE = 256;
    /** Samples kept by the batch-time and batch-size histograms. */
    public static final int DEFAULT_HISTOGRAM_WINDOW = 1024;

    public Duration maxWait = DEFAULT_MAX_WAIT;
    public int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;
    public int histogramWindow = DEFAULT_HISTOGRAM_WINDOW;
    /**
     * Whether the encoder may run on a GPU when one is present (the default). {@code false} keeps it on its exact Java
     * twin even then — to leave the GPU to other stages, or to compare both on one machine.
     */
    public boolean useGpu = true;

    public static GpuBatchConfig defaults() {
        return new GpuBatchConfig();
    }

    public GpuBatchConfig withMaxWait(Duration d) {
        this.maxWait = d;
        return this;
    }

    public GpuBatchConfig withMaxBatchSize(int n) {
        this.maxBatchSize = n;
        return this;
    }

    public GpuBatchConfig withUseGpu(boolean use) {
        this.useGpu = use;
        return this;
    }

    void validate() {
        if (maxWait == null || maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait must be >= 0");
        }
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("maxBatchSize must be >= 1");
        }
    }
}
