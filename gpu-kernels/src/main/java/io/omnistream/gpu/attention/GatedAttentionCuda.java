package io.omnistream.gpu.attention;

import io.omnistream.gpu.runtime.CudaContext;
import io.omnistream.gpu.runtime.PinnedBuffer;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;

/**
 * {@link GatedAttention} on the GPU: one CTA per 64 or 128 query rows and head, fp16 tensor cores with fp32
 * accumulation, only active key blocks computed ({@link Variant}). Owns its {@link CudaContext}.
 */
public final class GatedAttentionCuda implements GatedAttention {

    /** Keys per block (the unit of gate-based skipping). */
    public static final int KEY_BLOCK = 64;
    static final int SHARED_BYTES = 4 * 64 * 72 * 2 + 2 * 64 * 68 * 4;

    /**
     * Implementations of the kernel contract, all tested against the twin; {@link #FA2_S3} is the default (the
     * fastest at 25 % active and within 1 % of the fastest dense on the H200, gpu-kernels/BENCHMARKS.md).
     */
    public enum Variant {
        /** FlashAttention-2 layout: 4 warps x 32 query rows (each K/V fragment feeds two MMAs), 128 rows per CTA,
         *  K/V double-buffered through cp.async in dynamic shared memory, ldmatrix, one barrier per key block. */
        FA2("omni_gated_attention_fa2", fa2Shared(128, 2, 64), 128, 128),
        /** {@link #FA2} with a 3-stage K/V ring: the default. */
        FA2_S3("omni_gated_attention_fa2_s3", fa2Shared(128, 3, 64), 128, 128),
        /** {@link #FA2} with 128-key blocks (half the softmax bookkeeping per key); Q fragments re-read from shared
         *  memory for every block to make room in registers. */
        FA2_N128("omni_gated_attention_fa2_n128", fa2Shared(128, 2, 128), 128, 128),
        /** {@link #FA2} with 2 warps = 64 query rows per CTA. */
        FA2_64("omni_gated_attention_fa2_64", fa2Shared(64, 2, 64), 64, 64),
        /** {@link #FA2} code with 8 warps x 16 query rows = 128 rows per CTA. */
        FA2_W8("omni_gated_attention_fa2_w8", fa2Shared(128, 2, 64), 128, 256),
        /** {@link #FA2_W8} with 128-key blocks. */
        FA2_W8_N128("omni_gated_attention_fa2_w8_n128", fa2Shared(128, 2, 128), 128, 256),
        /** As {@link #MMA}, K/V double-buffered through cp.async so loads overlap the tensor-core work. */
        PIPE("omni_gated_attention_pipe", 0, 64, 128),
        /** {@link #PIPE} with 8 warps = 128 query rows per CTA (the Q tile borrows the second K/V buffer). */
        PIPE8("omni_gated_attention_pipe8", 0, 128, 256),
        /** {@link #PIPE} with ldmatrix loads, registers capped at 128 (a few spill): the previous default. */
        PIPE_LDSM("omni_gated_attention_pipe_ldsm", 0, 64, 128),
        /** As {@link #MMA}, K and V fragments loaded with ldmatrix (transposed for V); 131 registers cost occupancy. */
        LDSM("omni_gated_attention_ldsm", 0, 64, 128),
        /** mma.sync with register accumulators, 8 warps x 16 query rows = 128 rows per CTA. */
        MMA8("omni_gated_attention_mma8", 0, 128, 256),
        /** As {@link #MMA8} with 4 warps = 64 query rows per CTA. */
        MMA("omni_gated_attention_mma", 0, 64, 128),
        /** WMMA fragments with scores and output staged in shared memory (first version, kept for comparison). */
        WMMA("omni_gated_attention", SHARED_BYTES, 64, 128);

        final String kernel;
        final int sharedBytes;
        /** Query rows per CTA. */
        final int rows;
        final int threads;

        Variant(String kernel, int sharedBytes, int rows, int threads) {
            this.kernel = kernel;
            this.sharedBytes = sharedBytes;
            this.rows = rows;
            this.threads = threads;
        }

        /** Q tile plus {@code stages} K and V blocks of {@code keys} rows, rows padded to 72 halves. */
        private static int fa2Shared(int rows, int stages, int keys) {
            return (rows + stages * 2 * keys) * 72 * 2;
        }

        /** The FA2 kernels read one 8-int record per CTA (sequence start, length, gate, first row, 4 segment ends). */
        boolean wideBlocks() {
            return name().startsWith("FA2");
        }
    }

    private final CudaContext cuda;
    private final Variant variant;
    private long dShape;
    private long cuOff;
    private long endsOff;
    private long gatesOff;
    private long blocksOff;

    public GatedAttentionCuda(CudaContext cuda) {
        this(cuda, Variant.FA2_S3);
    }

    public GatedAttentionCuda(CudaContext cuda, Variant variant) {
        this.cuda = cuda;
        this.variant = variant;
        cuda.module().function(variant.kernel);
    }

    @Override
    public void compute(AttentionBatch batch, float[] q, float[] k, float[] v, float[] out, float scale) {
        GatedAttention.check(batch, q, k, v, out);
        int n = batch.tensorFloats();
        if (n == 0) {
            return;
        }
        cuda.makeCurrent();
        long tensorBytes = n * 2L;
        PinnedBuffer in = cuda.pinned("attn.in", tensorBytes * 3);
        ShortBuffer sb = in.buffer().asShortBuffer();
        for (float[] t : new float[][] {q, k, v}) {
            for (int i = 0; i < n; i++) {
                sb.put(Half.fromFloat(t[i]));
            }
        }
        long dIn = cuda.pool().get("attn.qkv", tensorBytes * 3);
        long dOut = cuda.pool().get("attn.out", tensorBytes);
        cuda.upload(dIn, in, tensorBytes * 3);
        int qBlocks = uploadShape(batch);
        enqueue(dIn, dIn + tensorBytes, dIn + 2 * tensorBytes, dOut, batch.heads(), qBlocks, scale);
        PinnedBuffer o = cuda.pinned("attn.out", tensorBytes);
        cuda.download(o, dOut, tensorBytes);
        cuda.synchronize();
        ShortBuffer ob = o.buffer().asShortBuffer();
        for (int i = 0; i < n; i++) {
            out[i] = Half.toFloat(ob.get(i));
        }
    }

    /**
     * Uploads the batch's sequence layout, gates and query-block table to the device (waits for the copy);
     * returns the number of query blocks for {@link #enqueue}.
     */
    public int uploadShape(AttentionBatch batch) {
        int nSeq = batch.sequences();
        int blocks = 0;
        for (int s = 0; s < nSeq; s++) {
            blocks += (batch.sequenceLength(s) + variant.rows - 1) / variant.rows;
        }
        int perBlock = variant.wideBlocks() ? 32 : 8;
        cuOff = 0;
        endsOff = align(cuOff + (nSeq + 1) * 4L);
        gatesOff = align(endsOff + nSeq * 16L);
        blocksOff = align(gatesOff + nSeq * 4L);
        long bytes = blocksOff + (long) blocks * perBlock;
        PinnedBuffer pb = cuda.pinned("attn.shape", bytes);
        ByteBuffer b = pb.buffer();
        b.asIntBuffer().put(batch.cuSeqlens());
        b.position((int) endsOff);
        b.asIntBuffer().put(batch.segmentEnds());
        b.position((int) gatesOff);
        b.asIntBuffer().put(batch.gates());
        b.position((int) blocksOff);
        IntBuffer ib = b.asIntBuffer();
        int[] ends = batch.segmentEnds();
        for (int s = 0; s < nSeq; s++) {
            for (int q0 = 0; q0 < batch.sequenceLength(s); q0 += variant.rows) {
                if (variant.wideBlocks()) {
                    ib.put(batch.sequenceStart(s)).put(batch.sequenceLength(s)).put(batch.gate(s)).put(q0)
                            .put(ends, s * 4, 4);
                } else {
                    ib.put(s).put(q0);
                }
            }
        }
        dShape = cuda.pool().get("attn.shape", bytes);
        cuda.upload(dShape, pb, bytes);
        cuda.synchronize();
        return blocks;
    }

    /** Queues the kernel on device tensors with the shape last passed to {@link #uploadShape}. */
    public void enqueue(long dq, long dk, long dv, long dOut, int heads, int qBlocks, float scale) {
        cuda.launch(variant.kernel).grid(qBlocks, heads, 1).block(variant.threads, 1, 1).sharedBytes(variant.sharedBytes)
                .ptr(dq).ptr(dk).ptr(dv)
                .ptr(dShape + cuOff).ptr(dShape + endsOff).ptr(dShape + gatesOff).ptr(dShape + blocksOff)
                .i32(heads).f32(scale).ptr(dOut)
                .run();
    }

    private static long align(long x) {
        return (x + 15) & ~15L;
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
        cuda.close();
    }
}
