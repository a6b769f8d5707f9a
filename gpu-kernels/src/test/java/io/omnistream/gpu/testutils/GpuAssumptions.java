package io.omnistream.gpu.testutils;

import io.omnistream.gpu.runtime.GpuRuntime;
import org.junit.jupiter.api.Assumptions;

/** Skips a GPU-vs-twin test cleanly where no usable GPU exists (CI, the build machine). */
public final class GpuAssumptions {
    private GpuAssumptions() {}

    public static void assumeGpu() {
        Assumptions.assumeTrue(GpuRuntime.available(), () -> "no GPU: " + GpuRuntime.unavailableReason());
    }
}
