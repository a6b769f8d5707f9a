package io.omnistream.gpu.encoders;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the encoders' model files are: the one lookup of gpu-kernels, in the same order as the operators' (so a
 * GPU machine running this module alone finds them the same way). Order: system property {@code omni.models.dir},
 * env {@code OMNI_MODELS_DIR}, {@code <omni.project.root>/.models}, then the nearest {@code .models} folder above
 * the working directory. The files are fetched by {@code deploy/local/setup.sh}, never committed.
 */
public final class EncoderModels {
    public static final String SILERO_VAD = "silero_vad_v5.onnx";
    public static final String BLAZEFACE_FRONT = "face_detection_front_128x128.onnx";
    public static final String ASTRONAUT = "astronaut.png";

    private EncoderModels() {}

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
        if (root != null && !root.isBlank() && Files.isDirectory(Path.of(root, ".models"))) {
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

    /** The named model file, or an exception that says how to fetch it. */
    public static Path require(String name) {
        Path f = modelsDir().resolve(name);
        if (!Files.isRegularFile(f)) {
            throw new IllegalStateException("model file " + f + " is missing; run deploy/local/setup.sh (or set -Domni.models.dir)");
        }
        return f;
    }
}
