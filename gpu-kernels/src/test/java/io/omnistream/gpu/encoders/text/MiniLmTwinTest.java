package io.omnistream.gpu.encoders.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.omnistream.gpu.attention.Half;
import io.omnistream.gpu.encoders.EncoderModels;
import io.omnistream.gpu.quant.Int8QuantizerTwin;
import io.omnistream.gpu.testutils.Compare;
import io.omnistream.gpu.testutils.MiniLmFixtures;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MiniLM twin's behaviour on the real model file: tokenizer, packing, pooling, int8, compact weights, refusal. */
class MiniLmTwinTest {
    private static MiniLmWeights weights;
    private static TextTokenizer tokenizer;

    @BeforeAll
    static void load() {
        Assumptions.assumeTrue(MiniLmWeights.onClasspath(), "the fp32 model jar is not on the class path (GPU bundle)");
        weights = MiniLmFixtures.weights();
        tokenizer = TextTokenizer.fromClasspath();
    }

    @Test
    void tokenizerWrapsTextInClsAndSepAndTruncatesAtMaxTokens() {
        int[] ids = tokenizer.ids("My internet connection keeps dropping.");
        assertThat(ids[0]).isEqualTo(101);
        assertThat(ids[ids.length - 1]).isEqualTo(102);
        assertThat(ids.length).isBetween(7, 12);
        int[] longIds = tokenizer.ids("please help me ".repeat(200));
        assertThat(longIds).hasSize(TextEncoder.MAX_TOKENS);
        assertThat(longIds[longIds.length - 1]).isEqualTo(102);
        TokenBatch b = tokenizer.tokenize(List.of("Hello.", "The printer is jammed again."));
        assertThat(b.sentences()).isEqualTo(2);
        assertThat(b.sentence(0)).containsExactly(tokenizer.ids("Hello."));
        assertThat(b.cuSeqlens()[2]).isEqualTo(b.totalTokens());
    }

    @Test
    void embeddingsAreUnitLengthAndParaphrasesAreCloserThanUnrelatedRequests() {
        try (MiniLmTwin twin = new MiniLmTwin(weights, tokenizer)) {
            float[][] e = twin.encode(List.of(
                    "My internet connection keeps dropping every few minutes.",
                    "The wifi disconnects all the time since yesterday evening.",
                    "I would like a refund for my last order, please."));
            for (float[] v : e) {
                assertThat(norm(v)).isCloseTo(1.0, within(1e-5));
            }
            double para = dot(e[0], e[1]);
            double unrelated = dot(e[0], e[2]);
            assertThat(para).isGreaterThan(unrelated + 0.2);
        }
    }

    @Test
    void aPackedBatchGivesEachSentenceItsOwnEmbedding() {
        try (MiniLmTwin twin = new MiniLmTwin(weights, tokenizer)) {
            List<String> s = MiniLmFixtures.sentences().subList(0, 4);
            TokenBatch batch = tokenizer.tokenize(s);
            float[] packed = new float[4 * TextEncoder.DIM];
            twin.encode(batch, packed);
            for (int i = 0; i < 4; i++) {
                float[] alone = new float[TextEncoder.DIM];
                twin.encode(TokenBatch.of(batch.sentence(i)), alone);
                Compare.sameFloats("sentence " + i, Arrays.copyOfRange(packed, i * 384, (i + 1) * 384), alone);
            }
            float[] none = new float[0];
            twin.encode(TokenBatch.of(), none);
        }
    }

    @Test
    void int8OutputIsTheFloatEmbeddingQuantisedPerRow() {
        try (MiniLmTwin twin = new MiniLmTwin(weights, tokenizer)) {
            List<String> s = MiniLmFixtures.sentences().subList(10, 13);
            TextEncoder.Int8Embeddings q = twin.encodeInt8(s);
            float[][] f = twin.encode(s);
            byte[] expected = new byte[3 * 384];
            float[] scales = new float[3];
            new Int8QuantizerTwin().quantize(flat(f), 3, 384, expected, scales);
            Compare.sameBytes("codes", q.codes(), expected);
            for (int r = 0; r < 3; r++) {
                assertThat(q.scales()[r]).isEqualTo(scales[r]).isPositive();
                float[] d = q.dequantize(r);
                for (int i = 0; i < 384; i++) {
                    assertThat((double) d[i]).isCloseTo(f[r][i], within(q.scales()[r] * 0.5 + 1e-7));
                }
            }
        }
    }

    @Test
    void compactFileHoldsTheHalfPrecisionWeightsOfItsTokensOnly(@TempDir Path dir) throws Exception {
        TokenBatch batch = tokenizer.tokenize(List.of(MiniLmFixtures.sentences().get(20)));
        Path f = dir.resolve("w.bin");
        weights.writeCompact(f, batch.ids());
        MiniLmWeights compact = MiniLmWeights.readCompact(f);
        assertThat(compact.vocabSize()).isEqualTo(30522);
        assertThat(compact.layerNormEps()).isEqualTo(weights.layerNormEps()).isEqualTo(1e-12f);
        int[] distinct = Arrays.stream(batch.ids()).distinct().toArray();
        assertThat(compact.wordRows()).isEqualTo(distinct.length);
        for (int id : distinct) {
            int r = compact.rowOf(id);
            for (int i = 0; i < 384; i++) {
                assertThat(compact.word[r * 384 + i]).isEqualTo(Half.round(weights.word[id * 384 + i]));
            }
        }
        for (int l = 0; l < TextEncoder.LAYERS; l++) {
            for (int i = 0; i < weights.w1[l].length; i += 97) {
                assertThat(compact.w1[l][i]).isEqualTo(Half.round(weights.w1[l][i]));
                assertThat(compact.w2[l][i]).isEqualTo(Half.round(weights.w2[l][i]));
            }
            Compare.sameFloats("b1 of layer " + l, compact.b1[l], weights.b1[l]);
            Compare.sameFloats("LayerNorm gain of layer " + l, compact.ln2G[l], weights.ln2G[l]);
        }
        float[] fromCompact = new float[384];
        float[] fromFp32 = new float[384];
        new MiniLmTwin(compact).encode(batch, fromCompact);
        new MiniLmTwin(weights).encode(batch, fromFp32);
        assertThat(MiniLmFixtures.cosine(fromCompact, fromFp32, 0, 384)).isGreaterThan(0.9999);
        int missing = tokenizer.ids("zebra")[1];
        assertThat(compact.hasToken(missing)).isFalse();
        assertThatThrownBy(() -> new MiniLmTwin(compact).encode(TokenBatch.of(new int[] {101, missing, 102}), new float[384]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vocabulary subset");
    }

    @Test
    void refusesAModelFileThatIsNotMiniLm() {
        Path vad = EncoderModels.require(EncoderModels.SILERO_VAD);
        assertThatThrownBy(() -> MiniLmWeights.load(vad)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not the all-MiniLM-L6-v2 graph");
    }

    @Test
    void rejectsBadBatches() {
        assertThatThrownBy(() -> new TokenBatch(new int[] {101, 102}, new int[] {0, 1})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TokenBatch.of(new int[TextEncoder.MAX_TOKENS + 1])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TokenBatch.of(new int[0])).isInstanceOf(IllegalArgumentException.class);
        try (MiniLmTwin twin = new MiniLmTwin(weights, tokenizer)) {
            assertThatThrownBy(() -> twin.encode(TokenBatch.of(new int[] {101, 40000, 102}), new float[384]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside the vocabulary");
            assertThatThrownBy(() -> twin.encode(TokenBatch.of(new int[] {101, 102}), new float[10]))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void erfMatchesReferenceValues() {
        double[][] ref = {{0.0, 0.0}, {0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1.0, 0.8427007929497149},
            {2.0, 0.9953222650189527}, {3.5, 0.9999992569016276}, {5.0, 0.9999999999984626}, {-1.5, -0.9661051464753108}};
        for (double[] r : ref) {
            assertThat(MiniLmTwin.erf(r[0])).as("erf(%s)", r[0]).isCloseTo(r[1], within(1e-14));
        }
    }

    private static double norm(float[] v) {
        return Math.sqrt(dot(v, v));
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    private static float[] flat(float[][] rows) {
        float[] r = new float[rows.length * 384];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, r, i * 384, 384);
        }
        return r;
    }
}
