package io.omnistream.gpu.encoders;

import io.omnistream.gpu.encoders.face.BlazeFaceCuda;
import io.omnistream.gpu.encoders.face.BlazeFaceEncoder;
import io.omnistream.gpu.encoders.face.BlazeFaceTwin;
import io.omnistream.gpu.encoders.face.BlazeFaceWeights;
import io.omnistream.gpu.encoders.text.MiniLmCuda;
import io.omnistream.gpu.encoders.text.MiniLmTwin;
import io.omnistream.gpu.encoders.text.MiniLmWeights;
import io.omnistream.gpu.encoders.text.TextEncoder;
import io.omnistream.gpu.encoders.vad.ResidentSileroVad;
import io.omnistream.gpu.encoders.vad.SileroVadCuda;
import io.omnistream.gpu.encoders.vad.SileroVadTwin;
import io.omnistream.gpu.encoders.vad.SileroVadWeights;
import io.omnistream.gpu.runtime.GpuRuntime;

/**
 * Picks, per encoder, the CUDA implementation when a GPU is usable and its kernels are built, else the Java twin
 * (also when creating the GPU one fails). The caller owns the result and closes it (an operator's {@code close()}).
 */
public final class Encoders {
    private Encoders() {}

    public static ResidentSileroVad sileroVad(SileroVadWeights weights) {
        if (GpuRuntime.available() && EncoderModule.present()) {
            try {
                return new SileroVadCuda(GpuRuntime.newContext(), weights);
            } catch (RuntimeException | LinkageError e) {
                GpuRuntime.reportFallback("silero-vad", e);
            }
        }
        return new SileroVadTwin(weights);
    }

    public static BlazeFaceEncoder blazeFace(BlazeFaceWeights weights) {
        if (GpuRuntime.available() && EncoderModule.present()) {
            try {
                return new BlazeFaceCuda(GpuRuntime.newContext(), weights);
            } catch (RuntimeException | LinkageError e) {
                GpuRuntime.reportFallback("blazeface", e);
            }
        }
        return new BlazeFaceTwin(weights);
    }

    /** all-MiniLM-L6-v2 sentence embeddings ({@code MiniLmWeights.fromClasspath()} for the model jar's file). */
    public static TextEncoder miniLm(MiniLmWeights weights) {
        if (GpuRuntime.available() && EncoderModule.present()) {
            try {
                return new MiniLmCuda(GpuRuntime.newContext(), weights);
            } catch (RuntimeException | LinkageError e) {
                GpuRuntime.reportFallback("minilm", e);
            }
        }
        return new MiniLmTwin(weights);
    }
}
