package io.omnistream.operators.perception;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the model files fetched by {@code deploy/local/setup.sh}; one lookup so that operators,
 * tests and the evaluation harness agree on where models live.
 *
 * <p>Order: system property {@code omni.models.dir}, env {@code OMNI_MODELS_DIR}, then
 * {@code <omni.project.root>/.models}, then the nearest {@code .models} above the working directory.
 */
public final class ModelFiles {
    public static final String SILERO_VAD = "silero_vad_v5.onnx";
    public static final String BLAZEFACE_FRONT = "face_detection_front_128x128.onnx";
    public static final String ASTRONAUT = "astronaut.png";

    private ModelFiles() {}

    /** The same lookup as the GPU encoders' ({@link io.omnistream.gpu.encoders.EncoderModels#modelsDir()}). */
    public static Path modelsDir() {
        return io.omnistream.gpu.encoders.EncoderModels.modelsDir();
    }

    /** The file, or an exception that says how to fetch it. */
    public static Path require(Path dir, String name) {
        Path f = dir.resolve(name);
        if (!Files.isRegularFile(f)) {
            throw new IllegalStateException("model file " + f + " is missing; run deploy/local/setup.sh (or set -Domni.models.dir)");
        }
        return f;
    }
}
