package io.omnistream.operators.perception;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the model files fetched by {@code deploy/local/setup.sh}; one lookup so that operators,
 * tests and the evaluation harness agree on where models live.
 *
 * <p>Order: system property {@code omni.models.dir}, env {@code OMNI_MODELS_DIR}, then
 * {@code <omni.project.root>/.models}, then {@code ./.models} or {@code ../.models}.
 */
public final class ModelFiles {
    public static final String SILERO_VAD = "silero_vad_v5.onnx";
    public static final String BLAZEFACE_FRONT = "face_detection_front_128x128.onnx";
    public static final String ASTRONAUT = "astronaut.png";

    private ModelFiles() {}

    public static Path modelsDir() {
        String p = System.getProperty("omni.models.dir");
        if (p != null && !p.isBlank()) {
            return Path.of(p);
        }
        p = System.getenv("OMNI_MODELS_DIR");
        if (p != null && !p.isBlank()) {
            return Path.of(p);
        }
        String root = System.getProperty("omni.project.root");
        if (root != null && !root.isBlank()) {
            return Path.of(root, ".models");
        }
        Path here = Path.of("").toAbsolutePath();
        for (Path d = here; d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve(".models"))) {
                return d.resolve(".models");
            }
        }
        return here.resolve(".models");
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
