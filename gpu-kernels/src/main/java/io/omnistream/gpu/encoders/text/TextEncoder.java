package io.omnistream.gpu.encoders.text;

import java.util.List;

/**
 * all-MiniLM-L6-v2 sentence embeddings, batched: one call encodes many sentences (transcripts, screen text,
 * knowledge-base passages of many sessions) packed without padding into a {@link TokenBatch}. Exists so that the
 * text of hundreds of sessions is embedded in one launch sequence on the GPU instead of one ONNX Runtime call each.
 *
 * <p>Per sentence, exactly the model's graph ({@link MiniLmWeights} checks the file against it) followed by
 * sentence-transformers' pooling:
 * <ol>
 *   <li>x = LayerNorm(word[id] + position[t] + tokenType[0]) (eps from the file, 1e-12);</li>
 *   <li>6 layers: q, k, v = x·W + b; 12 heads of 32, softmax(q·kᵀ / √32) over the keys of the same sentence only;
 *       x = LayerNorm(x + attn·Wo + bo); x = LayerNorm(x + GELU(x·W1 + b1)·W2 + b2) with the exact (erf) GELU;</li>
 *   <li>mean of x over the sentence's tokens (the attention mask), then L2 normalisation.</li>
 * </ol>
 * The int8 option quantises each embedding per row, symmetric, with one scale (the project's
 * {@link io.omnistream.gpu.quant.Int8Quantizer} definition). Implementations need not be thread-safe.
 */
public interface TextEncoder extends AutoCloseable {
    int DIM = 384;
    int HEADS = 12;
    int HEAD_DIM = 32;
    int LAYERS = 6;
    int FFN = 1536;
    /** Longest sentence in tokens ([CLS] and [SEP] included): sentence-transformers' max_seq_length for this model. */
    int MAX_TOKENS = 256;

    /** Embeds each sentence of {@code batch}; {@code out} receives {@code batch.sentences() * DIM} floats. */
    void encode(TokenBatch batch, float[] out);

    /** Int8 embeddings: {@code codes} receives {@code sentences * DIM} values, {@code scales} one per sentence. */
    void encodeInt8(TokenBatch batch, byte[] codes, float[] scales);

    /** The tokenizer used by {@link #encode(List)}. */
    TextTokenizer tokenizer();

    /** Tokenizes and embeds the texts: one unit-length vector of {@value #DIM} floats per text. */
    default float[][] encode(List<String> texts) {
        TokenBatch b = tokenizer().tokenize(texts);
        float[] flat = new float[b.sentences() * DIM];
        encode(b, flat);
        float[][] r = new float[b.sentences()][];
        for (int s = 0; s < r.length; s++) {
            r[s] = java.util.Arrays.copyOfRange(flat, s * DIM, (s + 1) * DIM);
        }
        return r;
    }

    /** Tokenizes and embeds the texts, int8-quantised. */
    default Int8Embeddings encodeInt8(List<String> texts) {
        TokenBatch b = tokenizer().tokenize(texts);
        byte[] codes = new byte[b.sentences() * DIM];
        float[] scales = new float[b.sentences()];
        encodeInt8(b, codes, scales);
        return new Int8Embeddings(codes, scales, b.sentences());
    }

    /** Whether this implementation runs on a GPU. */
    default boolean onGpu() {
        return false;
    }

    @Override
    default void close() {}

    /** Rows of {@value #DIM} int8 codes; embedding {@code r} ≈ {@code codes[r*DIM + i] * scales[r]}. */
    record Int8Embeddings(byte[] codes, float[] scales, int rows) {
        public float[] dequantize(int row) {
            float[] r = new float[DIM];
            for (int i = 0; i < DIM; i++) {
                r[i] = codes[row * DIM + i] * scales[row];
            }
            return r;
        }
    }

    static void checkArgs(TokenBatch batch, int outLength, int perSentence) {
        if (outLength < (long) batch.sentences() * perSentence) {
            throw new IllegalArgumentException("output holds " + outLength + ", need " + (long) batch.sentences() * perSentence);
        }
    }
}
