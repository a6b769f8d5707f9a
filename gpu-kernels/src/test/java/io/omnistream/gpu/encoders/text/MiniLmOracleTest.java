package io.omnistream.gpu.encoders.text;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.gpu.testutils.MiniLmFixtures;
import io.omnistream.gpu.testutils.OnnxRuntimeOracle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The MiniLM twin against ONNX Runtime (CPU) on the same fp32 model file: real customer-service sentences, ORT fed a
 * padded batch with an attention mask (as langchain4j feeds it), the twin the packed batch without padding.
 */
class MiniLmOracleTest {
    static final double MIN_COSINE = 0.9999;
    static final double MAX_ABS_EMBEDDING = 2e-5;
    static final double MAX_ABS_HIDDEN = 5e-4;

    @Test
    void twinEmbeddingsMatchOnnxRuntimeOnRealSentences() throws Exception {
        List<int[]> tokens = MiniLmFixtures.sentenceTokens().subList(0, 16);
        float[] ours = new float[tokens.size() * 384];
        try (MiniLmTwin twin = new MiniLmTwin(MiniLmFixtures.weights())) {
            twin.encode(MiniLmFixtures.batch(tokens), ours);
        }
        float[] ort;
        try (OnnxRuntimeOracle oracle = new OnnxRuntimeOracle(modelFile())) {
            ort = oracle.miniLmEmbeddings(tokens);
        }
        double worstCos = 1;
        double maxAbs = 0;
        for (int s = 0; s < tokens.size(); s++) {
            worstCos = Math.min(worstCos, MiniLmFixtures.cosine(ours, ort, s, 384));
        }
        for (int i = 0; i < ours.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(ours[i] - ort[i]));
        }
        System.out.printf("MiniLM twin vs ONNX Runtime, %d sentences: min cosine %.9f, max |diff| %.3g%n", tokens.size(),
                worstCos, maxAbs);
        assertThat(worstCos).isGreaterThanOrEqualTo(MIN_COSINE);
        assertThat(maxAbs).isLessThanOrEqualTo(MAX_ABS_EMBEDDING);
    }

    @Test
    void twinHiddenStatesMatchOnnxRuntimeTokenByToken() throws Exception {
        int[] ids = MiniLmFixtures.sentenceTokens().get(11);
        float[] ours;
        try (MiniLmTwin twin = new MiniLmTwin(MiniLmFixtures.weights())) {
            ours = twin.hiddenStates(ids);
        }
        float[] ort;
        try (OnnxRuntimeOracle oracle = new OnnxRuntimeOracle(modelFile())) {
            ort = oracle.miniLmHiddenStates(List.of(ids));
        }
        assertThat(ours).hasSameSizeAs(ort);
        double maxAbs = 0;
        for (int i = 0; i < ours.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(ours[i] - ort[i]));
        }
        System.out.printf("MiniLM twin vs ONNX Runtime last_hidden_state (%d tokens): max |diff| %.3g%n", ids.length, maxAbs);
        assertThat(maxAbs).isLessThanOrEqualTo(MAX_ABS_HIDDEN);
    }

    /** The fp32 model file of the jar, copied out once for ONNX Runtime (which wants a path). */
    static synchronized Path modelFile() throws Exception {
        Path f = Path.of(System.getProperty("java.io.tmpdir"), "omni-all-minilm-l6-v2-" + ProcessHandle.current().pid() + ".onnx");
        if (!Files.exists(f)) {
            try (var in = MiniLmOracleTest.class.getResourceAsStream(MiniLmWeights.RESOURCE)) {
                Files.copy(in, f);
            }
            f.toFile().deleteOnExit();
        }
        return f;
    }
}
