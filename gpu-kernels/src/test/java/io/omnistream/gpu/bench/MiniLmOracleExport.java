package io.omnistream.gpu.bench;

import io.omnistream.gpu.encoders.text.MiniLmWeights;
import io.omnistream.gpu.testutils.MiniLmFixtures;
import io.omnistream.gpu.testutils.OnnxRuntimeOracle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes what the MiniLM GPU test and benchmark need on the GPU machine, whose copy of the tree (64 MiB) can hold
 * neither the 90 MB fp32 model nor ONNX Runtime nor the tokenizer's native library: the compact fp16 weights for the
 * tokens of the customer sentences ({@code weights-f16.bin}, about 21 MB), their token ids ({@code tokens.bin}) and
 * ONNX Runtime's fp32 embeddings of them ({@code ort-embeddings.f32}). Run on the build machine by
 * {@code load-tests/gpu/minilm-bundle.sh}: {@code java -cp <test classpath> io.omnistream.gpu.bench.MiniLmOracleExport DIR}.
 */
public final class MiniLmOracleExport {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : ".gpu/minilm");
        Files.createDirectories(dir);
        MiniLmWeights w = MiniLmWeights.fromClasspath();
        List<int[]> tokens = MiniLmFixtures.sentenceTokens();
        int[] all = tokens.stream().flatMapToInt(java.util.Arrays::stream).toArray();
        w.writeCompact(dir.resolve(MiniLmFixtures.COMPACT_WEIGHTS), all);
        MiniLmFixtures.writeTokens(dir.resolve(MiniLmFixtures.TOKENS), tokens);
        Path model = Files.createTempFile("all-minilm-l6-v2", ".onnx");
        try (var in = MiniLmOracleExport.class.getResourceAsStream(MiniLmWeights.RESOURCE)) {
            Files.copy(in, model, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        try (OnnxRuntimeOracle ort = new OnnxRuntimeOracle(model)) {
            MiniLmFixtures.writeFloats(dir.resolve(MiniLmFixtures.ORT_EMBEDDINGS), ort.miniLmEmbeddings(tokens));
        } finally {
            Files.deleteIfExists(model);
        }
        System.out.printf("wrote %s: %d sentences, %d tokens, %d distinct ids, weights %d bytes%n", dir, tokens.size(), all.length,
                java.util.Arrays.stream(all).distinct().count(), Files.size(dir.resolve(MiniLmFixtures.COMPACT_WEIGHTS)));
    }
}
