package io.omnistream.gpu.logmel;

import io.omnistream.gpu.runtime.CudaContext;
import io.omnistream.gpu.runtime.PinnedBuffer;
import java.nio.ByteBuffer;

/**
 * {@link LogMel} on the GPU: kernel {@code omni_logmel}, one thread block per 8 frames, every session's frames in one
 * launch. Owns its {@link CudaContext}; buffers are reused across calls. Must equal {@link LogMelTwin} within the
 * tolerances stated in its GPU test.
 */
public final class LogMelCuda implements LogMel {

    /** Frames per thread block of the kernel. */
    static final int FRAMES_PER_BLOCK = 8;

    private final CudaContext cuda;
    private final long basis;
    private final long filters;
    private final long ranges;

    public LogMelCuda(CudaContext cuda) {
        this.cuda = cuda;
        try {
            cuda.makeCurrent();
            float[] fb = MelFilterBank.filtersShared();
            float[] b = dftBasis();
            int[] r = filterRanges(fb);
            basis = cuda.pool().get("logmel.basis", b.length * 4L);
            filters = cuda.pool().get("logmel.filters", fb.length * 4L);
            ranges = cuda.pool().get("logmel.ranges", r.length * 4L);
            PinnedBuffer staging = cuda.pinned("logmel.in", b.length * 4L);
            staging.buffer().asFloatBuffer().put(b);
            cuda.upload(basis, staging, b.length * 4L);
            cuda.synchronize();
            staging.buffer().asFloatBuffer().put(fb);
            cuda.upload(filters, staging, fb.length * 4L);
            cuda.synchronize();
            staging.buffer().asIntBuffer().put(r);
            cuda.upload(ranges, staging, r.length * 4L);
            cuda.synchronize();
        } catch (RuntimeException e) {
            cuda.close();
            throw e;
        }
    }

    /** {@code [N_FFT][N_FREQS]} pairs (w[n] cos, -w[n] sin) of the windowed real DFT, computed in double. */
    static float[] dftBasis() {
        float[] w = MelFilterBank.windowShared();
        float[] b = new float[N_FFT * N_FREQS * 2];
        for (int n = 0; n < N_FFT; n++) {
            for (int k = 0; k < N_FREQS; k++) {
                double a = 2.0 * Math.PI * ((long) k * n % N_FFT) / N_FFT;
                b[(n * N_FREQS + k) * 2] = (float) (w[n] * Math.cos(a));
                b[(n * N_FREQS + k) * 2 + 1] = (float) (-w[n] * Math.sin(a));
            }
        }
        return b;
    }

    /** Non-zero span [start, end) of each mel filter. */
    static int[] filterRanges(float[] fb) {
        int[] r = new int[N_MELS * 2];
        for (int m = 0; m < N_MELS; m++) {
            int s = 0;
            while (s < N_FREQS && fb[m * N_FREQS + s] == 0f) {
                s++;
            }
            int e = N_FREQS;
            while (e > s && fb[m * N_FREQS + e - 1] == 0f) {
                e--;
            }
            r[m * 2] = s;
            r[m * 2 + 1] = e;
        }
        return r;
    }

    @Override
    public void compute(float[] frames, int nFrames, float[] logMelOut, float[] energyOut) {
        LogMel.checkArgs(frames, nFrames, logMelOut, energyOut);
        if (nFrames == 0) {
            return;
        }
        cuda.makeCurrent();
        long inBytes = (long) nFrames * N_FFT * 4;
        long outBytes = (long) nFrames * (N_MELS + 1) * 4;
        PinnedBuffer in = cuda.pinned("logmel.in", inBytes);
        PinnedBuffer out = cuda.pinned("logmel.out", outBytes);
        in.buffer().asFloatBuffer().put(frames, 0, nFrames * N_FFT);
        long dIn = cuda.pool().get("logmel.frames", inBytes);
        long dOut = cuda.pool().get("logmel.out", outBytes);
        cuda.upload(dIn, in, inBytes);
        enqueue(dIn, nFrames, dOut, dOut + (long) nFrames * N_MELS * 4);
        cuda.download(out, dOut, outBytes);
        cuda.synchronize();
        ByteBuffer b = out.buffer();
        b.asFloatBuffer().get(logMelOut, 0, nFrames * N_MELS);
        if (energyOut != null) {
            b.position(nFrames * N_MELS * 4);
            b.slice().order(b.order()).asFloatBuffer().get(energyOut, 0, nFrames);
        }
    }

    /** Queues the kernel on device buffers (for benchmarks that keep data on the device). */
    public void enqueue(long dFrames, int nFrames, long dLogMel, long dEnergy) {
        cuda.launch("omni_logmel")
                .grid((nFrames + FRAMES_PER_BLOCK - 1) / FRAMES_PER_BLOCK, 1, 1)
                .block(256, 1, 1)
                .ptr(dFrames).i32(nFrames).ptr(basis).ptr(filters).ptr(ranges).ptr(dLogMel).ptr(dEnergy)
                .run();
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
