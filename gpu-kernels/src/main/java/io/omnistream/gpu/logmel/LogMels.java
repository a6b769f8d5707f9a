package io.omnistream.gpu.logmel;

import io.omnistream.gpu.runtime.GpuRuntime;

/**
 * Chooses the {@link LogMel} implementation for an operator instance: the CUDA kernel when a GPU is usable
 * (see {@link GpuRuntime#available()}), else the Java twin. Callers own the result and must close it.
 */
public final class LogMels {

    private LogMels() {}

    public static LogMel create() {
        if (GpuRuntime.available()) {
            try {
                return new LogMelCuda(GpuRuntime.newContext());
            } catch (RuntimeException | LinkageError e) {
                GpuRuntime.reportFallback("log-mel", e);
            }
        }
        return new LogMelTwin();
    }
}
