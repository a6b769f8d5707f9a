package io.omnistream.gpu.encoders.face;

import static io.omnistream.gpu.encoders.EncoderModule.blocksFor;
import static io.omnistream.gpu.encoders.EncoderModule.ptr;

import io.omnistream.gpu.encoders.EncoderModule;
import io.omnistream.gpu.runtime.CudaContext;
import io.omnistream.gpu.runtime.PinnedBuffer;
import java.util.List;

/**
 * {@link BlazeFaceEncoder} on the GPU, all frames of a batch per launch: activations NHWC so that the stem (as
 * im2col), the 16 pointwise convolutions and the 4 heads are cuBLAS SGEMMs over every frame's pixels, with the
 * depthwise convolutions, residual max-pool/channel-pad + ReLU and the heads' anchor placement in the kernels of
 * {@code omni_encoders.cu}. Weights are uploaded once from {@link BlazeFaceWeights}. Owns its {@link CudaContext}.
 * Must equal {@link BlazeFaceTwin} within the tolerance of its GPU test.
 */
public final class BlazeFaceCuda implements BlazeFaceEncoder {
    private static final int THREADS = 256;

    private final CudaContext cuda;
    private final EncoderModule k;
    private final long stemW;
    private final long stemB;
    private final long[] dwW = new long[BlazeFaceWeights.BLOCKS.size()];
    private final long[] pwW = new long[BlazeFaceWeights.BLOCKS.size()];
    private final long[] pwB = new long[BlazeFaceWeights.BLOCKS.size()];
    private final long[] headW = new long[4];
    private final long[] headB = new long[4];

    public BlazeFaceCuda(CudaContext cuda, BlazeFaceWeights w) {
        this.cuda = cuda;
        EncoderModule module = null;
        try {
            cuda.makeCurrent();
            module = new EncoderModule(cuda);
            stemW = upload("bf.stemW", w.stemW);
            stemB = upload("bf.stemB", w.stemB);
            for (int b = 0; b < dwW.length; b++) {
                dwW[b] = upload("bf.dw" + b, w.dwW[b]);
                pwW[b] = upload("bf.pw" + b, w.pwW[b]);
                pwB[b] = upload("bf.pb" + b, w.pwB[b]);
            }
            for (int h = 0; h < 4; h++) {
                headW[h] = upload("bf.hw" + h, w.headW[h]);
                headB[h] = upload("bf.hb" + h, w.headB[h]);
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

    private long upload(String slot, float[] data) {
        long bytes = data.length * 4L;
        long d = cuda.pool().get(slot, bytes);
        PinnedBuffer staging = cuda.pinned("bf.staging", bytes);
        staging.buffer().asFloatBuffer().put(data);
        cuda.upload(d, staging, bytes);
        cuda.synchronize();
        return d;
    }

    @Override
    public void forward(float[] images, int n, float[] scoresOut, float[] boxesOut) {
        BlazeFaceEncoder.checkArgs(images, n, scoresOut, boxesOut);
        if (n == 0) {
            return;
        }
        cuda.makeCurrent();
        long inBytes = (long) n * IMAGE * 4;
        long sBytes = (long) n * ANCHORS * 4;
        long bBytes = sBytes * BOX;
        PinnedBuffer hi = cuda.pinned("bf.in", inBytes);
        PinnedBuffer hs = cuda.pinned("bf.scores", sBytes);
        PinnedBuffer hb = cuda.pinned("bf.boxes", bBytes);
        hi.buffer().asFloatBuffer().put(images, 0, n * IMAGE);
        long dIn = cuda.pool().get("bf.dIn", inBytes);
        long dS = cuda.pool().get("bf.dScores", sBytes);
        long dB = cuda.pool().get("bf.dBoxes", bBytes);
        cuda.upload(dIn, hi, inBytes);
        enqueue(dIn, n, dS, dB);
        cuda.download(hs, dS, sBytes);
        cuda.download(hb, dB, bBytes);
        cuda.synchronize();
        hs.buffer().asFloatBuffer().get(scoresOut, 0, n * ANCHORS);
        hb.buffer().asFloatBuffer().get(boxesOut, 0, n * ANCHORS * BOX);
    }

    /** Queues the network on device buffers: images NHWC {@code [n][128][128][3]} → scores, boxes. */
    public void enqueue(long dImages, int n, long dScores, long dBoxes) {
        long stemPix = (long) n * 64 * 64;
        long cols = cuda.pool().get("bf.cols", stemPix * 75 * 4);
        long gemm = cuda.pool().get("bf.gemm", stemPix * 96 * 4);
        long dw = cuda.pool().get("bf.dwOut", stemPix * 96 * 4);
        long actA = cuda.pool().get("bf.actA", stemPix * 96 * 4);
        long actB = cuda.pool().get("bf.actB", stemPix * 96 * 4);
        long map16 = cuda.pool().get("bf.map16", (long) n * 16 * 16 * 88 * 4);

        k.launch("bf_stem_im2col", blocksFor(stemPix * 75), THREADS, ptr(dImages), n, ptr(cols));
        k.gemmRowMajor((int) stemPix, BlazeFaceWeights.STEM_OUT, 75, cols, stemW, gemm);
        k.launch("enc_bias_relu", blocksFor(stemPix * BlazeFaceWeights.STEM_OUT), THREADS, ptr(gemm), ptr(stemB), (int) stemPix,
                BlazeFaceWeights.STEM_OUT, ptr(actA), BlazeFaceWeights.STEM_OUT);
        long x = actA;
        int size = 64;
        List<BlazeFaceWeights.Block> blocks = BlazeFaceWeights.BLOCKS;
        for (int b = 0; b < blocks.size(); b++) {
            BlazeFaceWeights.Block blk = blocks.get(b);
            int out = blk.stride() == 1 ? size : size / 2;
            int rows = n * out * out;
            k.launch("bf_depthwise", blocksFor((long) rows * blk.in()), THREADS, ptr(x), n, size, blk.in(), blk.stride(), ptr(dwW[b]), ptr(dw));
            k.gemmRowMajor(rows, blk.out(), blk.in(), dw, pwW[b], gemm);
            long y = b == BlazeFaceWeights.HEAD16_BLOCK ? map16 : (x == actA ? actB : actA);
            k.launch("bf_residual", blocksFor((long) rows * blk.out()), THREADS, ptr(gemm), ptr(pwB[b]), ptr(x), n, size, blk.in(),
                    blk.out(), blk.stride(), ptr(y));
            x = y;
            size = out;
        }
        head(map16, n, 16 * 16, 0, dScores, ANCHORS, 0);
        head(map16, n, 16 * 16, 1, dBoxes, ANCHORS * BOX, 0);
        head(x, n, 8 * 8, 2, dScores, ANCHORS, ANCHORS_16);
        head(x, n, 8 * 8, 3, dBoxes, ANCHORS * BOX, ANCHORS_16 * BOX);
    }

    private void head(long map, int n, int pix, int h, long dst, int dstStride, int dstOffset) {
        int o = BlazeFaceWeights.HEAD_OUT[h];
        long y = cuda.pool().get("bf.head", (long) n * 16 * 16 * 96 * 4);
        k.gemmRowMajor(n * pix, o, BlazeFaceWeights.HEAD_IN[h], map, headW[h], y);
        k.launch("bf_head", blocksFor((long) n * pix * o), THREADS, ptr(y), ptr(headB[h]), n, pix * o, o, ptr(dst), dstStride, dstOffset);
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
        k.close();
        cuda.close();
    }
}
