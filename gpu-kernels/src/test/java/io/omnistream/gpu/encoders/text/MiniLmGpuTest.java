package io.omnistream.gpu.encoders.text;

import static io.omnistream.gpu.testutils.GpuAssumptions.assumeGpu;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.omnistream.gpu.encoders.EncoderModule;
import io.omnistream.gpu.quant.Int8QuantizerTwin;
import io.omnistream.gpu.runtime.GpuRuntime;
import io.omnistream.gpu.testutils.MiniLmFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CUDA MiniLM encoder against its twin and against ONNX Runtime's embeddings of the same sentences (on the GPU
 * machine: computed at bundle time by {@code MiniLmOracleExport}, since ONNX Runtime does not travel there). Skips
 * without a GPU.
 */
class MiniLmGpuTest {
    static final double MIN_COSINE = 0.9999;
    static final double MAX_ABS = 2e-3;

    private static MiniLmCuda gpu;
    private static MiniLmTwin twin;
    private static List<int[]> sentences;

    @BeforeAll
    static void open() {
        if (GpuRuntime.available() && EncoderModule.present() && MiniLmFixtures.modelAvailable()) {
            gpu = new MiniLmCuda(GpuRuntime.newContext(), MiniLmFixtures.weights());
            twin = new MiniLmTwin(MiniLmFixtures.weights());
            sentences = MiniLmFixtures.sentenceTokens();
        }
    }

    @BeforeEach
    void needsGpu() {
        assumeGpu();
        Assumptions.assumeTrue(EncoderModule.present(), "encoder kernels not built");
        Assumptions.assumeTrue(MiniLmFixtures.modelAvailable(), "no MiniLM model here");
    }

    @AfterAll
    static void close() {
        if (gpu != null) {
            gpu.close();
        }
    }

    @Test
    void gpuMatchesTheTwinOnPackedSentencesOfDifferentLengths() {
        List<int[]> batch = new ArrayList<>(sentences.subList(0, 40));
        batch.add(new int[] {101, 102});
        batch.add(longSentence(200));
        batch.add(sentences.get(95));
        TokenBatch b = MiniLmFixtures.batch(batch);
        float[] ours = new float[b.sentences() * 384];
        float[] spec = new float[b.sentences() * 384];
        gpu.encode(b, ours);
        twin.encode(b, spec);
        report("GPU vs twin", b, ours, spec);
    }

    @Test
    void gpuMatchesOnnxRuntimeOnTheCustomerSentences() throws Exception {
        Path ortFile = MiniLmFixtures.exportDir().resolve(MiniLmFixtures.ORT_EMBEDDINGS);
        Assumptions.assumeTrue(Files.isRegularFile(ortFile), "no ONNX Runtime reference at " + ortFile);
        float[] ort = MiniLmFixtures.readFloats(ortFile);
        TokenBatch b = MiniLmFixtures.batch(sentences);
        assertThat(ort).hasSize(b.sentences() * 384);
        float[] ours = new float[b.sentences() * 384];
        gpu.encode(b, ours);
        report("GPU vs ONNX Runtime (fp32 model)", b, ours, ort);
    }

    @Test
    void int8OutputIsTheGpuEmbeddingQuantised() {
        TokenBatch b = MiniLmFixtures.batch(sentences.subList(10, 74));
        float[] f = new float[b.sentences() * 384];
        gpu.encode(b, f);
        byte[] codes = new byte[f.length];
        float[] scales = new float[b.sentences()];
        gpu.encodeInt8(b, codes, scales);
        byte[] expected = new byte[f.length];
        float[] expectedScales = new float[b.sentences()];
        new Int8QuantizerTwin().quantize(f, b.sentences(), 384, expected, expectedScales);
        int maxCodeDiff = 0;
        for (int i = 0; i < codes.length; i++) {
            maxCodeDiff = Math.max(maxCodeDiff, Math.abs(codes[i] - expected[i]));
        }
        assertThat(maxCodeDiff).isLessThanOrEqualTo(1);
        for (int r = 0; r < scales.length; r++) {
            assertThat((double) scales[r]).isCloseTo(expectedScales[r], within(expectedScales[r] * 1e-5));
        }
        System.out.printf("MiniLM int8 on GPU vs twin quantiser of the GPU floats: max code diff %d%n", maxCodeDiff);
    }

    @Test
    void batchesOfEverySizeGiveTheSameEmbeddings() {
        TokenBatch all = MiniLmFixtures.batch(sentences);
        float[] reference = new float[all.sentences() * 384];
        gpu.encode(all, reference);
        gpu.encode(TokenBatch.of(), new float[0]);
        TokenBatch big = MiniLmFixtures.benchmarkBatch(sentences, 1024);
        float[] bigOut = new float[1024 * 384];
        gpu.encode(big, bigOut);
        for (int i = 0; i < 1024; i += 37) {
            int s = (int) ((i * 7L + 3) % sentences.size());
            assertThat(MiniLmFixtures.cosine(row(bigOut, i), row(reference, s), 0, 384)).as("sentence %d of 1024", i)
                    .isGreaterThan(0.99999);
        }
        float[] one = new float[384];
        gpu.encode(TokenBatch.of(sentences.get(5)), one);
        float[] oneTwin = new float[384];
        twin.encode(TokenBatch.of(sentences.get(5)), oneTwin);
        assertThat(MiniLmFixtures.cosine(one, oneTwin, 0, 384)).isGreaterThanOrEqualTo(MIN_COSINE);
        float[] three = new float[3 * 384];
        gpu.encode(MiniLmFixtures.batch(sentences.subList(0, 3)), three);
        for (int s = 0; s < 3; s++) {
            assertThat(MiniLmFixtures.cosine(row(three, s), row(reference, s), 0, 384)).isGreaterThan(0.99999);
        }
    }

    /** [CLS], the word pieces of consecutive customer sentences, [SEP]: a real-text sentence of {@code length} tokens. */
    private static int[] longSentence(int length) {
        int[] r = new int[length];
        r[0] = 101;
        int at = 1;
        for (int s = 0; at < length - 1; s++) {
            int[] ids = sentences.get(s % sentences.size());
            for (int i = 1; i < ids.length - 1 && at < length - 1; i++) {
                r[at++] = ids[i];
            }
        }
        r[length - 1] = 102;
        return r;
    }

    private static float[] row(float[] m, int r) {
        return Arrays.copyOfRange(m, r * 384, (r + 1) * 384);
    }

    private static void report(String what, TokenBatch b, float[] ours, float[] ref) {
        double worstCos = 1;
        double maxAbs = 0;
        for (int s = 0; s < b.sentences(); s++) {
            worstCos = Math.min(worstCos, MiniLmFixtures.cosine(ours, ref, s, 384));
        }
        for (int i = 0; i < ours.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(ours[i] - ref[i]));
        }
        System.out.printf("MiniLM %s, %d sentences (%d tokens, longest %d): min cosine %.9f, max |diff| %.3g (weights: %s)%n", what,
                b.sentences(), b.totalTokens(), b.maxLength(), worstCos, maxAbs,
                MiniLmFixtures.compactWeights() ? "compact fp16 export" : "fp32 file");
        assertThat(worstCos).as(what + " min cosine").isGreaterThanOrEqualTo(MIN_COSINE);
        assertThat(maxAbs).as(what + " max abs diff").isLessThanOrEqualTo(MAX_ABS);
    }
}
