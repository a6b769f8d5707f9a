package io.omnistream.gpu;

import io.omnistream.gpu.attention.GatedAttention;
import io.omnistream.gpu.attention.GatedAttentionCuda;
import io.omnistream.gpu.attention.GatedAttentionTwin;
import io.omnistream.gpu.image.FrameResizer;
import io.omnistream.gpu.image.FrameResizerCuda;
import io.omnistream.gpu.image.FrameResizerTwin;
import io.omnistream.gpu.logmel.LogMel;
import io.omnistream.gpu.logmel.LogMels;
import io.omnistream.gpu.quant.Int8Quantizer;
import io.omnistream.gpu.quant.Int8QuantizerCuda;
import io.omnistream.gpu.quant.Int8QuantizerTwin;
import io.omnistream.gpu.router.TopKGate;
import io.omnistream.gpu.router.TopKGateCuda;
import io.omnistream.gpu.router.TopKGateTwin;
import io.omnistream.gpu.runtime.CudaContext;
import io.omnistream.gpu.runtime.GpuRuntime;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The one place that picks, per kernel, the CUDA implementation when {@link GpuRuntime#available()} and the Java
 * twin otherwise (or when creating the GPU one fails). Each result owns its own context and stream and must be
 * closed by the caller (an operator's {@code close()}).
 */
public final class Kernels {

    private Kernels() {}

    public static LogMel logMel() {
        return LogMels.create();
    }

    public static FrameResizer frameResizer() {
        return pick("frame resize", FrameResizerCuda::new, FrameResizerTwin::new);
    }

    public static Int8Quantizer int8Quantizer() {
        return pick("int8 quantiser", Int8QuantizerCuda::new, Int8QuantizerTwin::new);
    }

    public static GatedAttention gatedAttention() {
        return pick("gated attention", GatedAttentionCuda::new, GatedAttentionTwin::new);
    }

    public static TopKGate topKGate() {
        return pick("top-k gate", TopKGateCuda::new, TopKGateTwin::new);
    }

    private static <T> T pick(String what, Function<CudaContext, T> gpu, Supplier<T> twin) {
        if (GpuRuntime.available()) {
            CudaContext ctx = null;
            try {
                ctx = GpuRuntime.newContext();
                return gpu.apply(ctx);
            } catch (RuntimeException | LinkageError e) {
                if (ctx != null) {
                    ctx.close();
                }
                GpuRuntime.reportFallback(what, e);
            }
        }
        return twin.get();
    }
}
