package io.omnistream.gpu.image;

import io.omnistream.gpu.runtime.CudaContext;
import io.omnistream.gpu.runtime.PinnedBuffer;

/** {@link FrameResizer} on the GPU: one launch for the whole batch; owns its {@link CudaContext}. */
public final class FrameResizerCuda implements FrameResizer {

    private final CudaContext cuda;

    public FrameResizerCuda(CudaContext cuda) {
        this.cuda = cuda;
        cuda.module();
    }

    @Override
    public void resize(ResizeBatch batch, float[] out) {
        FrameResizer.check(batch, out);
        int n = batch.size();
        if (n == 0) {
            return;
        }
        cuda.makeCurrent();
        long dataBytes = batch.dataLength();
        long metaBytes = n * 3L * 4;
        long boxBytes = n * 4L * 4;
        long outBytes = (long) batch.outputFloats() * 4;
        long metaOff = (dataBytes + 15) & ~15L;
        long boxOff = metaOff + metaBytes;
        long inBytes = boxOff + boxBytes;
        PinnedBuffer in = cuda.pinned("resize.in", inBytes);
        var b = in.buffer();
        b.put(batch.data(), 0, (int) dataBytes);
        b.position((int) metaOff);
        b.asIntBuffer().put(batch.meta(), 0, n * 3);
        b.position((int) boxOff);
        b.asFloatBuffer().put(batch.boxes(), 0, n * 4);
        long dIn = cuda.pool().get("resize.in", inBytes);
        long dOut = cuda.pool().get("resize.out", outBytes);
        cuda.upload(dIn, in, inBytes);
        int pixels = batch.outWidth() * batch.outHeight();
        cuda.launch("omni_i420_resize").grid((pixels + 255) / 256, n, 1).block(256, 1, 1)
                .ptr(dIn).ptr(dIn + metaOff).ptr(dIn + boxOff).i32(n)
                .i32(batch.outWidth()).i32(batch.outHeight()).i32(batch.mode() == ResizeBatch.Mode.LUMA ? 1 : 0)
                .f32(batch.scale()).f32(batch.bias()).ptr(dOut)
                .run();
        PinnedBuffer o = cuda.pinned("resize.out", outBytes);
        cuda.download(o, dOut, outBytes);
        cuda.synchronize();
        o.buffer().asFloatBuffer().get(out, 0, batch.outputFloats());
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
