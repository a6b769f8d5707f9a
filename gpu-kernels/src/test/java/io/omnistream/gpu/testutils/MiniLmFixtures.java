package io.omnistream.gpu.testutils;

import io.omnistream.gpu.encoders.text.MiniLmWeights;
import io.omnistream.gpu.encoders.text.TextTokenizer;
import io.omnistream.gpu.encoders.text.TokenBatch;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The MiniLM text encoder's test inputs: real customer-service sentences (a test resource) and the model, either the
 * fp32 ONNX file of the langchain4j jar on the class path (build machine) or, on the GPU machine, whose copy of the
 * tree cannot hold it, the compact fp16 export in {@code -Domni.minilm.dir} (default {@code .gpu/minilm}) written by
 * {@code MiniLmOracleExport} together with the sentences' token ids and ONNX Runtime's embeddings of them.
 */
public final class MiniLmFixtures {
    public static final String COMPACT_WEIGHTS = "weights-f16.bin";
    public static final String TOKENS = "tokens.bin";
    public static final String ORT_EMBEDDINGS = "ort-embeddings.f32";

    private static MiniLmWeights weights;
    private static Boolean compact;

    private MiniLmFixtures() {}

    public static Path exportDir() {
        String p = System.getProperty("omni.minilm.dir");
        return Path.of(p != null && !p.isBlank() ? p : ".gpu/minilm");
    }

    /** Whether the real model can be had here (class path or compact export). */
    public static boolean modelAvailable() {
        return MiniLmWeights.onClasspath() || Files.isRegularFile(exportDir().resolve(COMPACT_WEIGHTS));
    }

    /** The weights, loaded once per JVM: the fp32 file when on the class path, else the compact export. */
    public static synchronized MiniLmWeights weights() {
        if (weights == null) {
            try {
                if (MiniLmWeights.onClasspath()) {
                    weights = MiniLmWeights.fromClasspath();
                    compact = false;
                } else {
                    weights = MiniLmWeights.readCompact(exportDir().resolve(COMPACT_WEIGHTS));
                    compact = true;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return weights;
    }

    /** Whether {@link #weights()} came from the compact fp16 export. */
    public static synchronized boolean compactWeights() {
        weights();
        return compact;
    }

    /** The customer-service sentences of the test resource, in file order. */
    public static List<String> sentences() {
        try (InputStream in = MiniLmFixtures.class.getResourceAsStream("/io/omnistream/gpu/encoders/text/customer_sentences.txt")) {
            List<String> r = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    r.add(line.strip());
                }
            }
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Token ids of every sentence of {@link #sentences()}: from the tokenizer where it exists, else from the export. */
    public static List<int[]> sentenceTokens() {
        if (MiniLmFixtures.class.getResource(TextTokenizer.RESOURCE) != null) {
            try (TextTokenizer t = TextTokenizer.fromClasspath()) {
                List<int[]> r = new ArrayList<>();
                for (String s : sentences()) {
                    r.add(t.ids(s));
                }
                return r;
            }
        }
        return readTokens(exportDir().resolve(TOKENS));
    }

    /** Packs the given sentences' ids. */
    public static TokenBatch batch(List<int[]> sentences) {
        return TokenBatch.of(sentences.toArray(new int[0][]));
    }

    /**
     * A benchmark batch of {@code size} sentences drawn from the pool in a fixed order (index {@code (i*7 + 3) % pool}),
     * the same order as {@code minilm_torch.py}.
     */
    public static TokenBatch benchmarkBatch(List<int[]> pool, int size) {
        int[][] each = new int[size][];
        for (int i = 0; i < size; i++) {
            each[i] = pool.get((int) ((i * 7L + 3) % pool.size()));
        }
        return TokenBatch.of(each);
    }

    public static void writeTokens(Path file, List<int[]> sentences) throws IOException {
        int n = 1 + sentences.size();
        for (int[] s : sentences) {
            n += s.length;
        }
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(sentences.size());
        for (int[] s : sentences) {
            b.putInt(s.length);
            for (int id : s) {
                b.putInt(id);
            }
        }
        Files.write(file, b.array());
    }

    public static List<int[]> readTokens(Path file) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            int n = b.getInt();
            List<int[]> r = new ArrayList<>();
            for (int s = 0; s < n; s++) {
                int[] ids = new int[b.getInt()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = b.getInt();
                }
                r.add(ids);
            }
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void writeFloats(Path file, float[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        Files.write(file, b.array());
    }

    public static float[] readFloats(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] r = new float[b.remaining() / 4];
        b.asFloatBuffer().get(r);
        return r;
    }

    /** Cosine similarity of rows {@code row} of two row-major matrices of {@code dim} columns. */
    public static double cosine(float[] a, float[] b, int row, int dim) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < dim; i++) {
            double x = a[row * dim + i], y = b[row * dim + i];
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
        return ab / Math.sqrt(aa * bb);
    }
}
