package io.omnistream.gpu.runtime;

import static io.omnistream.gpu.testutils.GpuAssumptions.assumeGpu;
import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.gpu.Kernels;
import io.omnistream.gpu.logmel.LogMel;
import io.omnistream.gpu.logmel.LogMelCuda;
import io.omnistream.gpu.logmel.LogMels;
import io.omnistream.gpu.quant.Int8Quantizer;
import org.junit.jupiter.api.Test;

class GpuRuntimeTest {

    @Test
    void probingNeverThrowsAndExplainsWhyNoGpuIsUsed() {
        boolean available = GpuRuntime.available();
        if (available) {
            assertThat(GpuRuntime.device()).isNotNull();
            assertThat(GpuRuntime.unavailableReason()).isNull();
        } else {
            assertThat(GpuRuntime.device()).isNull();
            assertThat(GpuRuntime.unavailableReason()).isNotBlank();
        }
    }

    @Test
    void factoriesFallBackToTheTwinsWithoutAGpu() {
        try (LogMel l = Kernels.logMel(); Int8Quantizer q = Kernels.int8Quantizer()) {
            assertThat(l.onGpu()).isEqualTo(GpuRuntime.available());
            assertThat(q.onGpu()).isEqualTo(GpuRuntime.available());
        }
    }

    @Test
    void steadyStateBatchesAllocateNoDeviceMemory() {
        assumeGpu();
        try (LogMelCuda k = (LogMelCuda) LogMels.create()) {
            float[] frames = new float[64 * LogMel.N_FFT];
            float[] out = new float[64 * LogMel.N_MELS];
            float[] e = new float[64];
            k.compute(frames, 64, out, e);
            long allocations = k.context().pool().allocations();
            for (int i = 0; i < 20; i++) {
                k.compute(frames, 1 + i * 3, out, e);
            }
            assertThat(k.context().pool().allocations()).isEqualTo(allocations);
            assertThat(k.context().module().loadedFrom()).endsWith(".fatbin");
        }
    }
}
