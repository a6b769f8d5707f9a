package io.omnistream.gpu.router;

import io.omnistream.gpu.runtime.CudaContext;
import io.omnistream.gpu.runtime.PinnedBuffer;

/** {@link TopKGate} on the GPU (one thread per sequence); owns its {@link CudaContext}. */
public final class TopKGateCuda implements TopKGate {

    private final CudaContext cuda;

    public TopKGateCuda(CudaContext cuda) {
        this.cuda = cuda;
        cuda.module();
    }

    @Override
    public void select(float[] scores, int nSeq, int k, int[] gatesOut) {
        TopKGate.check(scores, nSeq, k, gatesOut);
        if (nSeq == 0) {
            return;
        }
        cuda.makeCurrent();
        long inBytes = (long) nSeq * PAIRS * 4;
        PinnedBuffer in = cuda.pinned("topk.in", inBytes);
        PinnedBuffer out = cuda.pinned("topk.out", nSeq * 4L);
        in.buffer().asFloatBuffer().put(scores, 0, nSeq * PAIRS);
        long dScores = cuda.pool().get("topk.scores", inBytes);
        long dGates = cuda.pool().get("topk.gates", nSeq * 4L);
        cuda.upload(dScores, in, inBytes);
        enqueue(dScores, nSeq, k, dGates);
        cuda.download(out, dGates, nSeq * 4L);
        cuda.synchronize();
        out.buffer().asIntBuffer().get(gatesOut, 0, nSeq);
    }

    public void enqueue(long dScores, int nSeq, int k, long dGates) {
        cuda.launch("omni_topk_gate").grid((nSeq + 127) / 128, 1, 1).block(128, 1, 1)
                .ptr(dScores).i32(nSeq).i32(k).ptr(dGates).run();
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
