package io.omnistream.gpu.encoders.text;

import static io.omnistream.gpu.encoders.EncoderModule.blocksFor;
import static io.omnistream.gpu.encoders.EncoderModule.ptr;

import io.omnistream.gpu.attention.AttentionBatch;
import io.omnistream.gpu.attention.GatedAttentionCuda;
import io.omnistream.gpu.attention.Half;
import io.omnistream.gpu.attention.Modality;
import io.omnistream.gpu.encoders.EncoderModule;
import io.omnistream.gpu.quant.Int8QuantizerCuda;
import io.omnistream.gpu.runtime.CudaContext;
import io.omnistream.gpu.runtime.PinnedBuffer;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;

/**
 * {@link TextEncoder} on the GPU: all sentences of a call packed into one token matrix (no padding) and run through
 * one launch sequence — per layer the q/k/v projection as one strided-batched cuBLAS GemmEx, the gated attention
 * kernel of {@link GatedAttentionCuda} with the text→text gate (each sentence is a sequence of its own, so tokens
 * attend only within their sentence), the output projection and the two FFN GEMMs (fp16 inputs and weights, fp32
 * accumulation and output), and the kernels of {@code omni_encoders.cu} between them (embedding gather + LayerNorm,
 * bias → fp16, bias + exact GELU, bias + residual + LayerNorm in fp32, mean pooling + L2 normalisation). Int8 output
 * through the project's {@link Int8QuantizerCuda} on the pooled rows. Weights are uploaded once (matrices fp16, the
 * residual stream and everything else fp32). Owns its {@link CudaContext}; buffers are reused across calls. Must
 * equal {@link MiniLmTwin} within the tolerance of its GPU test.
 */
public final class MiniLmCuda implements TextEncoder {
    private static final int D = DIM;
    /** Width of the attention tensors: 12 heads padded from 32 to the attention kernel's 64. */
    private static final int PADDED = HEADS * AttentionBatch.HEAD_DIM;
    private static final float SCALE = 1f / (float) Math.sqrt(HEAD_DIM);
    private static final int TEXT_GATE = Modality.gate(Modality.TEXT, Modality.TEXT);

    private final CudaContext cuda;
    private final EncoderModule k;
    private final GatedAttentionCuda attention;
    /** The 64-rows-per-CTA variant: less idle work when every sentence is at most 64 tokens (the usual case). */
    private final GatedAttentionCuda attention64;
    private GatedAttentionCuda preparedAttention;
    private final Int8QuantizerCuda quantizer;
    private final MiniLmWeights weights;
    private TextTokenizer tokenizer;
    private boolean ownsTokenizer;
    private final float eps;
    private final long word, position, type0, embG, embB;
    private final long[] wqkv = new long[LAYERS], bqkv = new long[LAYERS], wo = new long[LAYERS], bo = new long[LAYERS];
    private final long[] ln1G = new long[LAYERS], ln1B = new long[LAYERS], ln2G = new long[LAYERS], ln2B = new long[LAYERS];
    private final long[] w1 = new long[LAYERS], b1 = new long[LAYERS], w2 = new long[LAYERS], b2 = new long[LAYERS];

    private int preparedTokens = -1;
    private int preparedSentences;
    private int preparedQueryBlocks;

    public MiniLmCuda(CudaContext cuda, MiniLmWeights w) {
        this(cuda, w, null);
    }

    public MiniLmCuda(CudaContext cuda, MiniLmWeights w, TextTokenizer tokenizer) {
        this.cuda = cuda;
        this.weights = w;
        this.tokenizer = tokenizer;
        EncoderModule module = null;
        try {
            cuda.makeCurrent();
            module = new EncoderModule(cuda);
            attention = new GatedAttentionCuda(cuda);
            attention64 = new GatedAttentionCuda(cuda, GatedAttentionCuda.Variant.FA2_64);
            quantizer = new Int8QuantizerCuda(cuda);
            eps = w.eps;
            word = upload32("txt.word", w.word);
            position = upload32("txt.pos", w.position);
            type0 = upload32("txt.type0", w.type0);
            embG = upload32("txt.embG", w.embLnG);
            embB = upload32("txt.embB", w.embLnB);
            for (int l = 0; l < LAYERS; l++) {
                float[] qkv = new float[3 * D * D];
                System.arraycopy(w.wq[l], 0, qkv, 0, D * D);
                System.arraycopy(w.wk[l], 0, qkv, D * D, D * D);
                System.arraycopy(w.wv[l], 0, qkv, 2 * D * D, D * D);
                float[] bias = new float[3 * D];
                System.arraycopy(w.bq[l], 0, bias, 0, D);
                System.arraycopy(w.bk[l], 0, bias, D, D);
                System.arraycopy(w.bv[l], 0, bias, 2 * D, D);
                wqkv[l] = upload16("txt.wqkv" + l, qkv);
                bqkv[l] = upload32("txt.bqkv" + l, bias);
                wo[l] = upload16("txt.wo" + l, padRows(w.wo[l]));
                bo[l] = upload32("txt.bo" + l, w.bo[l]);
                ln1G[l] = upload32("txt.ln1G" + l, w.ln1G[l]);
                ln1B[l] = upload32("txt.ln1B" + l, w.ln1B[l]);
                w1[l] = upload16("txt.w1" + l, w.w1[l]);
                b1[l] = upload32("txt.b1" + l, w.b1[l]);
                w2[l] = upload16("txt.w2" + l, w.w2[l]);
                b2[l] = upload32("txt.b2" + l, w.b2[l]);
                ln2G[l] = upload32("txt.ln2G" + l, w.ln2G[l]);
                ln2B[l] = upload32("txt.ln2B" + l, w.ln2B[l]);
            }
        } catch (RuntimeException e) {
            if (module != null) {
                module.close();
            }
            cuda.close();
            throw e;
        }
        this.k = module;
    }

    /**
     * The output projection {@code [384][384]} with zero rows inserted so that it reads the attention output in the
     * kernel's 64-wide head layout {@code [12][64]}: row {@code h*64 + d} = row {@code h*32 + d} for d < 32, else 0.
     */
    static float[] padRows(float[] wo) {
        float[] r = new float[PADDED * D];
        for (int h = 0; h < HEADS; h++) {
            System.arraycopy(wo, h * HEAD_DIM * D, r, h * AttentionBatch.HEAD_DIM * D, HEAD_DIM * D);
        }
        return r;
    }

    private long upload32(String slot, float[] data) {
        return cuda.uploadFloats(slot, "txt.staging", data);
    }

    private long upload16(String slot, float[] data) {
        long bytes = data.length * 2L;
        long d = cuda.pool().get(slot, bytes);
        PinnedBuffer staging = cuda.pinned("txt.staging", bytes);
        java.nio.ShortBuffer sb = staging.buffer().asShortBuffer();
        for (float f : data) {
            sb.put(Half.fromFloat(f));
        }
        cuda.upload(d, staging, bytes);
        cuda.synchronize();
        return d;
    }

    @Override
    public TextTokenizer tokenizer() {
        if (tokenizer == null) {
            tokenizer = TextTokenizer.fromClasspath();
            ownsTokenizer = true;
        }
        return tokenizer;
    }

    @Override
    public void encode(TokenBatch batch, float[] out) {
        TextEncoder.checkArgs(batch, out.length, D);
        int n = batch.sentences();
        if (n == 0) {
            return;
        }
        prepare(batch);
        enqueue();
        long bytes = (long) n * D * 4;
        PinnedBuffer h = cuda.pinned("txt.out", bytes);
        cuda.download(h, cuda.pool().get("txt.dOut", bytes), bytes);
        cuda.synchronize();
        h.buffer().asFloatBuffer().get(out, 0, n * D);
    }

    @Override
    public void encodeInt8(TokenBatch batch, byte[] codes, float[] scales) {
        TextEncoder.checkArgs(batch, codes.length, D);
        TextEncoder.checkArgs(batch, scales.length, 1);
        int n = batch.sentences();
        if (n == 0) {
            return;
        }
        prepare(batch);
        enqueue();
        long dq = cuda.pool().get("txt.dQ", (long) n * D);
        long ds = cuda.pool().get("txt.dScales", n * 4L);
        quantizer.enqueueQuantize(cuda.pool().get("txt.dOut", (long) n * D * 4), n, D, dq, ds);
        PinnedBuffer hq = cuda.pinned("txt.q", (long) n * D);
        PinnedBuffer hs = cuda.pinned("txt.scales", n * 4L);
        cuda.download(hq, dq, (long) n * D);
        cuda.download(hs, ds, n * 4L);
        cuda.synchronize();
        ByteBuffer qb = hq.buffer();
        qb.position(0);
        qb.get(codes, 0, n * D);
        qb.position(0);
        hs.buffer().asFloatBuffer().get(scales, 0, n);
    }

    /**
     * Uploads a batch's token rows, positions, sentence offsets and attention layout (waits for the copies); the
     * device then holds everything {@link #enqueue} needs. Public for benchmarks that time the kernels alone.
     */
    public void prepare(TokenBatch batch) {
        prepare(batch, batch.maxLength() <= 64 ? GatedAttentionCuda.Variant.FA2_64 : GatedAttentionCuda.Variant.FA2_S3);
    }

    /** {@link #prepare(TokenBatch)} with the attention variant forced: FA2_64 (sentences ≤ 64 tokens) or FA2_S3. */
    public void prepare(TokenBatch batch, GatedAttentionCuda.Variant variant) {
        if (variant != GatedAttentionCuda.Variant.FA2_64 && variant != GatedAttentionCuda.Variant.FA2_S3) {
            throw new IllegalArgumentException("attention variant " + variant + " is not one of FA2_64, FA2_S3");
        }
        cuda.makeCurrent();
        int t = batch.totalTokens();
        int n = batch.sentences();
        PinnedBuffer h = cuda.pinned("txt.in", (2L * t + n + 1) * 4);
        IntBuffer ib = h.buffer().asIntBuffer();
        int[] ids = batch.ids();
        for (int i = 0; i < t; i++) {
            ib.put(weights.rowOf(ids[i]));
        }
        for (int s = 0; s < n; s++) {
            for (int p = 0; p < batch.length(s); p++) {
                ib.put(p);
            }
        }
        ib.put(batch.cuSeqlens());
        long dIn = cuda.pool().get("txt.dIn", (2L * t + n + 1) * 4);
        cuda.upload(dIn, h, (2L * t + n + 1) * 4);
        AttentionBatch.Builder ab = AttentionBatch.builder(HEADS);
        for (int s = 0; s < n; s++) {
            ab.add(0, 0, 0, batch.length(s), TEXT_GATE);
        }
        preparedAttention = variant == GatedAttentionCuda.Variant.FA2_64 ? attention64 : attention;
        preparedQueryBlocks = preparedAttention.uploadShape(ab.build());
        preparedTokens = t;
        preparedSentences = n;
    }

    /** Queues the whole encoder on the batch last passed to {@link #prepare}; pooled rows land in device slot txt.dOut. */
    public void enqueue() {
        Buffers b = buffers();
        embed(b);
        for (int l = 0; l < LAYERS; l++) {
            qkvGemm(b, l);
            qkvHeads(b, l);
            attention(b);
            outGemm(b, l);
            residualLayerNorm(b, bo[l], ln1G[l], ln1B[l]);
            ffn1Gemm(b, l);
            gelu(b, l);
            ffn2Gemm(b, l);
            residualLayerNorm(b, b2[l], ln2G[l], ln2B[l]);
        }
        pool(b);
    }

    /** Device buffers of the prepared batch (pool slots, allocated on first use and when a batch outgrows them). */
    private record Buffers(int t, int n, long rows, long positions, long cu, long x, long xh, long y, long yh, long qkvh,
            long ah, long hh, long out) {}

    private Buffers buffers() {
        if (preparedTokens < 0) {
            throw new IllegalStateException("prepare a batch first");
        }
        int t = preparedTokens;
        int n = preparedSentences;
        long dIn = cuda.pool().get("txt.dIn", (2L * t + n + 1) * 4);
        return new Buffers(t, n, dIn, dIn + 4L * t, dIn + 8L * t,
                cuda.pool().get("txt.x", (long) t * D * 4),
                cuda.pool().get("txt.xh", (long) t * D * 2),
                cuda.pool().get("txt.y", (long) t * D * 4),
                cuda.pool().get("txt.yh", (long) t * FFN * 2),
                cuda.pool().get("txt.qkvh", (long) t * 3 * PADDED * 2),
                cuda.pool().get("txt.ah", (long) t * PADDED * 2),
                cuda.pool().get("txt.hh", (long) t * FFN * 2),
                cuda.pool().get("txt.dOut", (long) n * D * 4));
    }

    private void embed(Buffers b) {
        k.launch("text_embed_ln", b.t, 128, ptr(b.rows), ptr(b.positions), ptr(word), ptr(position), ptr(type0), ptr(embG),
                ptr(embB), eps, b.t, ptr(b.x), ptr(b.xh));
    }

    private void qkvGemm(Buffers b, int l) {
        k.gemmHalfBatched(b.t, D, D, b.xh, wqkv[l], (long) D * D, b.yh, (long) b.t * D, 3, true);
    }

    private void qkvHeads(Buffers b, int l) {
        k.launch("text_qkv_heads", blocksFor((long) b.t * PADDED), 256, ptr(b.yh), ptr(bqkv[l]), b.t, ptr(b.qkvh));
    }

    private void attention(Buffers b) {
        long headBytes = (long) b.t * PADDED * 2;
        preparedAttention.enqueue(b.qkvh, b.qkvh + headBytes, b.qkvh + 2 * headBytes, b.ah, HEADS, preparedQueryBlocks, SCALE);
    }

    private void outGemm(Buffers b, int l) {
        k.gemmHalf(b.t, D, PADDED, b.ah, wo[l], b.y);
    }

    private void residualLayerNorm(Buffers b, long bias, long g, long beta) {
        k.launch("text_bias_residual_ln", b.t, 128, ptr(b.y), ptr(bias), ptr(g), ptr(beta), eps, b.t, ptr(b.x), ptr(b.xh));
    }

    private void ffn1Gemm(Buffers b, int l) {
        k.gemmHalfToHalf(b.t, FFN, D, b.xh, w1[l], b.yh);
    }

    private void gelu(Buffers b, int l) {
        k.launch("text_bias_gelu_half", blocksFor((long) b.t * FFN), 256, ptr(b.yh), ptr(b1[l]), b.t * FFN, ptr(b.hh));
    }

    private void ffn2Gemm(Buffers b, int l) {
        k.gemmHalf(b.t, D, FFN, b.hh, w2[l], b.y);
    }

    private void pool(Buffers b) {
        k.launch("text_mean_pool", b.n, 128, ptr(b.x), ptr(b.cu), b.n, ptr(b.out));
    }

    /**
     * GPU time of each stage of the prepared batch, launched alone {@code reps} times (layer 0's weights; every
     * layer has the same shapes), mean milliseconds per launch; {@code "layer"} is the sum of one layer's stages.
     * For benchmarks: where the time of a batch goes.
     */
    public java.util.Map<String, Double> stageMillis(int reps) {
        Buffers b = buffers();
        enqueue();
        java.util.Map<String, Runnable> stages = new java.util.LinkedHashMap<>();
        stages.put("embed_layernorm", () -> embed(b));
        stages.put("qkv_gemm", () -> qkvGemm(b, 0));
        stages.put("qkv_bias_heads", () -> qkvHeads(b, 0));
        stages.put("attention", () -> attention(b));
        stages.put("out_gemm", () -> outGemm(b, 0));
        stages.put("bias_residual_layernorm", () -> residualLayerNorm(b, bo[0], ln1G[0], ln1B[0]));
        stages.put("ffn1_gemm", () -> ffn1Gemm(b, 0));
        stages.put("bias_gelu", () -> gelu(b, 0));
        stages.put("ffn2_gemm", () -> ffn2Gemm(b, 0));
        stages.put("mean_pool", () -> pool(b));
        java.util.Map<String, Double> r = new java.util.LinkedHashMap<>();
        double layer = 0;
        for (java.util.Map.Entry<String, Runnable> e : stages.entrySet()) {
            e.getValue().run();
            float ms = cuda.timeMillis(() -> {
                for (int i = 0; i < reps; i++) {
                    e.getValue().run();
                }
            });
            double per = (double) ms / reps;
            r.put(e.getKey(), Math.round(per * 1e5) / 1e5);
            if (!e.getKey().equals("embed_layernorm") && !e.getKey().equals("mean_pool")) {
                layer += e.getKey().equals("bias_residual_layernorm") ? 2 * per : per;
            }
        }
        r.put("layer", Math.round(layer * 1e5) / 1e5);
        return r;
    }

    /** The attention kernel variant used for the prepared batch (64 query rows per CTA when every sentence fits). */
    public String attentionVariant() {
        return preparedAttention == attention64 ? "FA2_64" : "FA2_S3";
    }

    public CudaContext context() {
        return cuda;
    }

    @Override
    public boolean onGpu() {
        return true;
    }

    @Override
    public void close() {
        if (ownsTokenizer) {
            tokenizer.close();
        }
        k.close();
        cuda.close();
    }
}
