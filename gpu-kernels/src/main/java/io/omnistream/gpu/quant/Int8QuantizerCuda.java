package io.omnistream.gpu.quant;

import io.omnistream.gpu.runtime.CudaContext;
import io.omnistream.gpu.runtime.PinnedBuffer;
import java.nio.ByteBuffer;

/** {@link Int8Quantizer} on the GPU (one warp per row); owns its {@link CudaContext}. */
public final class Int8QuantizerCuda implements Int8Quantizer {

    private final CudaContext cuda;
    private final int maxBlocks;

    /** Grid of 32 blocks per SM, walking the rows (the fastest setting measured on the H200, BENCHMARKS.md). */
    public Int8QuantizerCuda(CudaContext cuda) {
        this(cuda, io.omnistream.gpu.runtime.GpuRuntime.device().multiprocessors() * 32);
    }

    /** {@code maxBlocks}: grid limit of the quantisation kernel (0: one warp per row). */
    public Int8QuantizerCuda(CudaContext cuda, int maxBlocks) {
        this.cuda = cuda;
        this.maxBlocks = maxBlocks;
        cuda.module();
    }

    @Override
    public void quantize(float[] x, int rows, int dim, byte[] q, float[] scales) {
        Int8Quantizer.check(x.length, rows, dim, q.length, scales.length);
        if (rows == 0) {
            return;
        }
        cuda.makeCurrent();
        long n = (long) rows * dim;
        PinnedBuffer in = cuda.pinned("quant.in", n * 4);
        PinnedBuffer out = cuda.pinned("quant.out", n + rows * 4L);
        in.buffer().asFloatBuffer().put(x, 0, (int) n);
        long dx = cuda.pool().get("quant.x", n * 4);
        long dq = cuda.pool().get("quant.q", n);
        long ds = cuda.pool().get("quant.s", rows * 4L);
        cuda.upload(dx, in, n * 4);
        enqueueQuantize(dx, rows, dim, dq, ds, maxBlocks);
        cuda.download(out, dq, n);
        cuda.synchronize();
        out.buffer().get(q, 0, (int) n);
        cuda.download(out, ds, rows * 4L);
        cuda.synchronize();
        out.buffer().asFloatBuffer().get(scales, 0, rows);
    }

    @Override
    public void dequantize(byte[] q, float[] scales, int rows, int dim, float[] result) {
        Int8Quantizer.check(result.length, rows, dim, q.length, scales.length);
        if (rows == 0) {
            return;
        }
        cuda.makeCurrent();
        long n = (long) rows * dim;
        PinnedBuffer in = cuda.pinned("quant.in", n + rows * 4L);
        ByteBuffer b = in.buffer();
        b.put(q, 0, (int) n);
        long dq = cuda.pool().get("quant.q", n);
        long ds = cuda.pool().get("quant.s", rows * 4L);
        long dOut = cuda.pool().get("quant.x", n * 4);
        cuda.upload(dq, in, n);
        cuda.synchronize();
        in.buffer().asFloatBuffer().put(scales, 0, rows);
        cuda.upload(ds, in, rows * 4L);
        enqueueDequantize(dq, ds, rows, dim, dOut);
        PinnedBuffer out = cuda.pinned("quant.out2", n * 4);
        cuda.download(out, dOut, n * 4);
        cuda.synchronize();
        out.buffer().asFloatBuffer().get(result, 0, (int) n);
    }

    /** Queues quantisation of device data (benchmarks keep data on the device): one warp per row. */
    public void enqueueQuantize(long dx, int rows, int dim, long dq, long dScales) {
        enqueueQuantize(dx, rows, dim, dq, dScales, maxBlocks);
    }

    /**
     * As {@link #enqueueQuantize(long, int, int, long, long)} with at most {@code maxBlocks} blocks of 256 threads
     * (0: one warp per row); with fewer blocks each warp walks several rows (grid-stride).
     */
    public void enqueueQuantize(long dx, int rows, int dim, long dq, long dScales, int maxBlocks) {
        int threads = 256;
        long blocks = ((long) rows * 32 + threads - 1) / threads;
        if (maxBlocks > 0 && (dim % 4 == 0 && dim <= 512)) {
            blocks = Math.min(blocks, maxBlocks);
        }
        cuda.launch("omni_quant_int8").grid((int) Math.max(1, blocks), 1, 1).block(threads, 1, 1)
                .ptr(dx).i32(rows).i32(dim).ptr(dq).ptr(dScales).run();
    }

    public void enqueueDequantize(long dq, long dScales, int rows, int dim, long dOut) {
        long n = (long) rows * dim;
        int threads = 256;
        long blocks = Math.min(132L * 16, Math.max(1, (n / 4 + threads - 1) / threads));
        cuda.launch("omni_dequant_int8").grid((int) blocks, 1, 1).block(threads, 1, 1)
                .ptr(dq).ptr(dScales).i32(rows).i32(dim).ptr(dOut).run();
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
