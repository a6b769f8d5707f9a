package io.omnistream.gpu.attention;

import io.omnistream.gpu.runtime.CudaContext;
import io.omnistream.gpu.runtime.PinnedBuffer;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;

/**
 * {@link GatedAttention} on the GPU: one CTA per 64 query rows and head, fp16 tensor cores with fp32 accumulation,
 * only active key blocks computed ({@link Variant}). Owns its {@link CudaContext}.
 */
public final class GatedAttentionCuda implements GatedAttention {

    /** Keys per block (the unit of gate-based skipping). */
    public static final int KEY_BLOCK = 64;
    static final int SHARED_BYTES = 4 * 64 * 72 * 2 + 2 * 64 * 68 * 4;

    /** The two implementations of the kernel contract. */
    public enum Variant {
        /** As {@link #MMA}, K/V double-buffered through cp.async so loads overlap the tensor-core work. */
        PIPE("omni_gated_attention_pipe", 0, 64),
        /** {@link #PIPE} with 8 warps = 128 query rows per CTA (the Q tile borrows the second K/V buffer). */
        PIPE8("omni_gated_attention_pipe8", 0, 128),
        /** {@link #PIPE} with ldmatrix loads, registers capped at 128 (a few spill): the default, fastest on the
         *  H200 (gpu-kernels/BENCHMARKS.md). */
        PIPE_LDSM("omni_gated_attention_pipe_ldsm", 0, 64),
        /** As {@link #MMA}, K and V fragments loaded with ldmatrix (transposed for V); 131 registers cost occupancy. */
        LDSM("omni_gated_attention_ldsm", 0, 64),
        /** FlashAttention-2 style: mma.sync with register accumulators, 8 warps = 128 query rows per CTA. */
        MMA8("omni_gated_attention_mma8", 0, 128),
        /** As {@link #MMA8} with 4 warps = 64 query rows per CTA. */
        MMA("omni_gated_attention_mma", 0, 64),
        /** WMMA fragments with scores and output staged in shared memory (first version, kept for comparison). */
        WMMA("omni_gated_attention", SHARED_BYTES, 64);

        final String kernel;
        final int sharedBytes;
        /** Query rows per CTA (16 per warp). */
        final int rows;

        Variant(String kernel, int sharedBytes, int rows) {
            this.kernel = kernel;
            this.sharedBytes = sharedBytes;
            this.rows = rows;
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
        this(cuda, Variant.PIPE_LDSM);
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
        cuOff = 0;
        endsOff = align(cuOff + (nSeq + 1) * 4L);
        gatesOff = align(endsOff + nSeq * 16L);
        blocksOff = align(gatesOff + nSeq * 4L);
        long bytes = blocksOff + blocks * 8L;
        PinnedBuffer pb = cuda.pinned("attn.shape", bytes);
        ByteBuffer b = pb.buffer();
        b.asIntBuffer().put(batch.cuSeqlens());
        b.position((int) endsOff);
        b.asIntBuffer().put(batch.segmentEnds());
        b.position((int) gatesOff);
        b.asIntBuffer().put(batch.gates());
        b.position((int) blocksOff);
        IntBuffer ib = b.asIntBuffer();
        for (int s = 0; s < nSeq; s++) {
            for (int q0 = 0; q0 < batch.sequenceLength(s); q0 += variant.rows) {
                ib.put(s).put(q0);
            }
        }
        dShape = cuda.pool().get("attn.shape", bytes);
        cuda.upload(dShape, pb, bytes);
        cuda.synchronize();
        return blocks;
    }

    /** Queues the kernel on device tensors with the shape last passed to {@link #uploadShape}. */
    public void enqueue(long dq, long dk, long dv, long dOut, int heads, int qBlocks, float scale) {
        cuda.launch(variant.kernel).grid(qBlocks, heads, 1).block(variant.rows * 2, 1, 1).sharedBytes(variant.sharedBytes)
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
