package io.omnistream.gpu.encoders.face;

import static io.omnistream.gpu.encoders.EncoderModule.blocksFor;
import static io.omnistream.gpu.encoders.EncoderModule.ptr;
import static org.bytedeco.cuda.global.cudart.cuMemcpyHtoDAsync;

import io.omnistream.gpu.encoders.EncoderModule;
import io.omnistream.gpu.image.I420Frames;
import io.omnistream.gpu.image.I420LetterboxTwin;
import io.omnistream.gpu.image.Letterbox;
import io.omnistream.gpu.image.NvJpegDecoder;
import io.omnistream.gpu.runtime.CudaContext;
import io.omnistream.gpu.runtime.CudaException;
import io.omnistream.gpu.runtime.PinnedBuffer;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link BlazeFaceEncoder} on the GPU, all frames of a batch per launch: activations NHWC so that the stem (as
 * im2col), the 16 pointwise convolutions and the 4 heads are cuBLAS SGEMMs over every frame's pixels, with the
 * depthwise convolutions, residual max-pool/channel-pad + ReLU and the heads' anchor placement in the kernels of
 * {@code omni_encoders.cu}. Weights are uploaded once from {@link BlazeFaceWeights}. Owns its {@link CudaContext}.
 * Must equal {@link BlazeFaceTwin} within the tolerance of its GPU test.
 *
 * <p>{@link #detectI420} is the camera path: the batch's I420 frames (any sizes) are written once into pinned
 * memory and uploaded (in chunks that overlap the packing); on the device {@code bf_i420_letterbox} converts and letterboxes them into the
 * network's input buffer, the network runs, and {@code bf_candidates} keeps per frame only the anchors that can pass
 * the decoder's score (at most {@link #CANDIDATE_CAP} rows of 18 floats instead of 896 × 17 values); the host reads
 * those back and runs the decoder's weighted NMS on them. Nothing crosses PCIe between the frames and the network.
 *
 * <p>{@link #detectJpeg} is the same path for the job's JPEG camera pictures: only the JPEG bytes are staged (pinned)
 * and decoded on the device by nvJPEG ({@link NvJpegDecoder}, interleaved RGB into a reused device buffer), then
 * {@code bf_rgb_letterbox} feeds the network, and the candidates come back as above. Pictures nvJPEG refuses are
 * reported per picture ({@link JpegFaces#error()}); the rest of the batch is unaffected. Where nvJPEG cannot be loaded
 * ({@link #jpegOnDevice()} false) it falls back to the specification: JDK decoding on the host, then the network here.
 */
public final class BlazeFaceCuda implements BlazeFaceEncoder {
    private static final int THREADS = 256;
    /** Candidate rows kept per frame on the device; a frame with more is read back whole (one face gives ~5–30). */
    public static final int CANDIDATE_CAP = 64;
    /** Bytes of frames per asynchronous upload in {@link #uploadI420}. */
    static final long UPLOAD_CHUNK = 16L << 20;
    /** Threads packing frames into pinned memory (the common fork-join pool's parallelism, plus the caller). */
    private static final int PACK_THREADS = Math.max(1, Math.min(8, ForkJoinPool.getCommonPoolParallelism() + 1));

    private static final Logger LOG = LoggerFactory.getLogger(BlazeFaceCuda.class);

    private final CudaContext cuda;
    private final EncoderModule k;
    private final NvJpegDecoder.Backend jpegBackend;
    /** Created on the first JPEG batch; {@code jpegUnavailable} once creating it failed. */
    private NvJpegDecoder jpeg;
    private String jpegUnavailable;
    private final long stemW;
    private final long stemB;
    private final long[] dwW = new long[BlazeFaceWeights.BLOCKS.size()];
    private final long[] pwW = new long[BlazeFaceWeights.BLOCKS.size()];
    private final long[] pwB = new long[BlazeFaceWeights.BLOCKS.size()];
    private final long[] headW = new long[4];
    private final long[] headB = new long[4];
    /** Device pointers of the staged frames ({@link #uploadI420}) and of the last outputs ({@link #enqueueFromI420}). */
    private long dI420;
    private long dMeta;
    private int staged = -1;
    private long dScores;
    private long dBoxes;
    private long dCounts;
    private long dCand;
    private int enqueued = -1;
    private int readWhole;
    /** Device pointers of the pictures decoded by nvJPEG ({@link #stageJpeg}) and their letterbox metadata. */
    private long dRgb;
    private long dRgbMeta;
    private int stagedRgb = -1;

    /** With nvJPEG's {@link NvJpegDecoder#DEFAULT_BACKEND} for {@link #detectJpeg}. */
    public BlazeFaceCuda(CudaContext cuda, BlazeFaceWeights w) {
        this(cuda, w, NvJpegDecoder.DEFAULT_BACKEND);
    }

    /** @param jpegBackend nvJPEG's back end for {@link #detectJpeg} */
    public BlazeFaceCuda(CudaContext cuda, BlazeFaceWeights w, NvJpegDecoder.Backend jpegBackend) {
        this.cuda = cuda;
        this.jpegBackend = jpegBackend;
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
        return cuda.uploadFloats(slot, "bf.staging", data);
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

    @Override
    public List<List<FaceBox>> detectI420(I420Frames frames, BlazeFaceDecoder decoder) {
        if (frames.size() == 0) {
            return List.of();
        }
        cuda.makeCurrent();
        uploadI420(frames);
        enqueueFromI420(frames.size(), decoder.candidateLogit());
        return collect(frames, decoder);
    }

    /**
     * Writes the frames once into pinned memory and queues their upload with their letterbox metadata. The frames go
     * in chunks of about {@link #UPLOAD_CHUNK} bytes, each packed by several threads and then copied asynchronously, so
     * the PCIe copy of one chunk overlaps the packing of the next.
     */
    public void uploadI420(I420Frames frames) {
        cuda.makeCurrent();
        int n = frames.size();
        long metaOff = (frames.totalBytes() + 15) & ~15L;
        long bytes = metaOff + (long) n * Letterbox.META_INTS * 4;
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("batch too large: " + bytes + " bytes");
        }
        PinnedBuffer in = cuda.pinned("bf.i420", bytes);
        long d = cuda.pool().get("bf.dI420", bytes);
        ByteBuffer b = in.buffer();
        long host = new Pointer(b).address();
        int[] meta = frames.meta();
        int first = 0;
        while (first < n) {
            long start = meta[first * Letterbox.META_INTS];
            long end = start;
            int last = first;
            while (last < n && end - start < UPLOAD_CHUNK) {
                end += frames.bytes(last++);
            }
            int from = first;
            int to = last;
            if (to - from >= 4) {
                int parts = Math.min(to - from, PACK_THREADS);
                IntStream.range(0, parts).parallel()
                        .forEach(p -> frames.copyTo(b, meta, from + (to - from) * p / parts, from + (to - from) * (p + 1) / parts));
            } else {
                frames.copyTo(b, meta, from, to);
            }
            copyUp(d + start, host + start, end - start);
            first = last;
        }
        b.position((int) metaOff);
        b.asIntBuffer().put(meta);
        copyUp(d + metaOff, host + metaOff, bytes - metaOff);
        dI420 = d;
        dMeta = d + metaOff;
        staged = n;
        enqueued = -1;
    }

    private void copyUp(long device, long hostAddress, long bytes) {
        if (bytes <= 0) {
            return;
        }
        Pointer src = new Pointer() {
            {
                address = hostAddress;
            }
        };
        int rc = cuMemcpyHtoDAsync(device, src, bytes, cuda.stream());
        if (rc != 0) {
            throw new CudaException("cuMemcpyHtoDAsync", rc, null);
        }
    }

    /**
     * Queues, on the staged frames: letterbox into the network input, the network, the candidate selection at
     * {@code candidateLogit} ({@link BlazeFaceDecoder#candidateLogit()}). Returns at once (asynchronous).
     */
    public void enqueueFromI420(int n, float candidateLogit) {
        if (n != staged) {
            throw new IllegalStateException(n + " frames asked, " + staged + " staged");
        }
        enqueueWithCandidates(letterboxOnDevice(n), n, candidateLogit);
    }

    /** Queues the network on the letterboxed inputs {@code dImages} and the candidate selection that {@code collect} reads. */
    private void enqueueWithCandidates(long dImages, int n, float candidateLogit) {
        dScores = cuda.pool().get("bf.dScores", (long) n * ANCHORS * 4);
        dBoxes = cuda.pool().get("bf.dBoxes", (long) n * ANCHORS * BOX * 4);
        enqueue(dImages, n, dScores, dBoxes);
        dCounts = cuda.pool().get("bf.dCounts", n * 4L);
        dCand = cuda.pool().get("bf.dCand", (long) n * CANDIDATE_CAP * BlazeFaceDecoder.CANDIDATE * 4);
        k.launch("bf_candidates", blocksFor(n * 32L), THREADS, ptr(dScores), ptr(dBoxes), n, candidateLogit, CANDIDATE_CAP,
                ptr(dCounts), ptr(dCand));
        enqueued = n;
    }

    private long letterboxOnDevice(int n) {
        long dImages = cuda.pool().get("bf.dIn", (long) n * IMAGE * 4);
        k.launch("bf_i420_letterbox", blocksFor((long) n * INPUT * INPUT), THREADS, ptr(dI420), ptr(dMeta), n, I420LetterboxTwin.NORM,
                ptr(dImages));
        return dImages;
    }

    /**
     * Whether {@link #detectJpeg} decodes on the device: nvJPEG loads and its handle could be created (tried once; the
     * reason it could not is logged once).
     */
    public boolean jpegOnDevice() {
        if (jpeg == null && jpegUnavailable == null) {
            try {
                jpeg = new NvJpegDecoder(cuda, jpegBackend);
            } catch (RuntimeException | LinkageError e) {
                jpegUnavailable = e.toString();
                LOG.warn("nvJPEG not usable ({}); BlazeFace decodes JPEG camera pictures on the host", jpegUnavailable);
            }
        }
        return jpeg != null;
    }

    @Override
    public boolean decodesJpegOnDevice() {
        return jpegOnDevice();
    }

    /** Why nvJPEG could not be used, or {@code null}. */
    public String jpegUnavailableReason() {
        return jpegUnavailable;
    }

    /** The device JPEG decoder (after {@link #jpegOnDevice()} returned true), for its counters. */
    public NvJpegDecoder jpegDecoder() {
        return jpeg;
    }

    @Override
    public List<JpegFaces> detectJpeg(List<byte[]> jpegs, BlazeFaceDecoder decoder) {
        if (jpegs.isEmpty()) {
            return List.of();
        }
        if (!jpegOnDevice()) {
            return BlazeFaceEncoder.super.detectJpeg(jpegs, decoder);
        }
        NvJpegDecoder.Batch b = stageJpeg(jpegs);
        int[] decoded = b.decoded();
        int m = decoded.length;
        List<List<FaceBox>> faces = List.of();
        if (m > 0) {
            enqueueWithCandidates(letterboxRgbOnDevice(m), m, decoder.candidateLogit());
            Letterbox[] g = new Letterbox[m];
            for (int k = 0; k < m; k++) {
                g[k] = b.letterbox(decoded[k]);
            }
            faces = collect(g, decoder);
        }
        List<JpegFaces> out = new ArrayList<>(jpegs.size());
        int k = 0;
        for (int i = 0; i < jpegs.size(); i++) {
            if (k < m && decoded[k] == i) {
                out.add(JpegFaces.found(b.width(i), b.height(i), faces.get(k++)));
            } else {
                out.add(JpegFaces.undecodable(b.error(i)));
            }
        }
        return out;
    }

    /** Decodes the pictures on the device and uploads the decoded ones' letterbox metadata (asynchronous). */
    private NvJpegDecoder.Batch stageJpeg(List<byte[]> jpegs) {
        cuda.makeCurrent();
        NvJpegDecoder.Batch b = jpeg.decode(jpegs);
        int[] meta = b.meta();
        long bytes = meta.length * 4L;
        PinnedBuffer hm = cuda.pinned("bf.rgbMeta", bytes);
        hm.buffer().asIntBuffer().put(meta);
        long d = cuda.pool().get("bf.dRgbMeta", bytes);
        cuda.upload(d, hm, bytes);
        dRgb = b.deviceRgb();
        dRgbMeta = d;
        stagedRgb = b.decoded().length;
        enqueued = -1;
        return b;
    }

    private long letterboxRgbOnDevice(int n) {
        if (n != stagedRgb) {
            throw new IllegalStateException(n + " pictures asked, " + stagedRgb + " decoded");
        }
        long dImages = cuda.pool().get("bf.dIn", (long) n * IMAGE * 4);
        k.launch("bf_rgb_letterbox", blocksFor((long) n * INPUT * INPUT), THREADS, ptr(dRgb), ptr(dRgbMeta), n, I420LetterboxTwin.NORM,
                ptr(dImages));
        return dImages;
    }

    /**
     * The network inputs the device makes from {@code jpegs} (nvJPEG + {@code bf_rgb_letterbox}), decoded pictures
     * only, in order; returns the batch (which pictures were decoded, their sizes). For the GPU test against the JDK
     * decoder and {@code RgbLetterboxTwin}.
     */
    public NvJpegDecoder.Batch letterboxJpeg(List<byte[]> jpegs, float[] out) {
        if (!jpegOnDevice()) {
            throw new IllegalStateException("nvJPEG not usable: " + jpegUnavailable);
        }
        NvJpegDecoder.Batch b = stageJpeg(jpegs);
        int m = b.decoded().length;
        if (out.length < (long) m * IMAGE) {
            throw new IllegalArgumentException("out holds " + out.length + " floats, need " + (long) m * IMAGE);
        }
        if (m > 0) {
            long dImages = letterboxRgbOnDevice(m);
            PinnedBuffer h = cuda.pinned("bf.in", (long) m * IMAGE * 4);
            cuda.download(h, dImages, (long) m * IMAGE * 4);
            cuda.synchronize();
            h.buffer().asFloatBuffer().get(out, 0, m * IMAGE);
        }
        return b;
    }

    /** Waits for {@link #enqueueFromI420}, reads the candidates back and decodes each frame into its own pixels. */
    public List<List<FaceBox>> collect(I420Frames frames, BlazeFaceDecoder decoder) {
        Letterbox[] g = new Letterbox[frames.size()];
        for (int f = 0; f < g.length; f++) {
            g[f] = frames.letterbox(f);
        }
        return collect(g, decoder);
    }

    private List<List<FaceBox>> collect(Letterbox[] geometry, BlazeFaceDecoder decoder) {
        int n = geometry.length;
        if (n != enqueued) {
            throw new IllegalStateException(n + " frames to collect, " + enqueued + " enqueued");
        }
        int rowFloats = CANDIDATE_CAP * BlazeFaceDecoder.CANDIDATE;
        PinnedBuffer hc = cuda.pinned("bf.counts", n * 4L);
        PinnedBuffer hr = cuda.pinned("bf.cand", (long) n * rowFloats * 4);
        cuda.download(hc, dCounts, n * 4L);
        cuda.download(hr, dCand, (long) n * rowFloats * 4);
        cuda.synchronize();
        int[] counts = new int[n];
        hc.buffer().asIntBuffer().get(counts);
        FloatBuffer rows = hr.buffer().asFloatBuffer();
        float[] frame = new float[rowFloats];
        List<List<FaceBox>> out = new ArrayList<>(n);
        readWhole = 0;
        for (int f = 0; f < n; f++) {
            int c = counts[f];
            List<FaceBox> faces;
            if (c <= CANDIDATE_CAP) {
                rows.position(f * rowFloats);
                rows.get(frame, 0, c * BlazeFaceDecoder.CANDIDATE);
                faces = decoder.decodeCandidates(frame, 0, c);
            } else {
                faces = decodeWholeFrame(f, decoder);
                readWhole++;
            }
            out.add(BlazeFaceEncoder.toPicture(faces, geometry[f]));
        }
        return out;
    }

    private List<FaceBox> decodeWholeFrame(int f, BlazeFaceDecoder decoder) {
        long sBytes = ANCHORS * 4L;
        long bBytes = sBytes * BOX;
        PinnedBuffer hs = cuda.pinned("bf.frameScores", sBytes);
        PinnedBuffer hb = cuda.pinned("bf.frameBoxes", bBytes);
        cuda.download(hs, dScores + f * sBytes, sBytes);
        cuda.download(hb, dBoxes + f * bBytes, bBytes);
        cuda.synchronize();
        float[] s = new float[ANCHORS];
        float[] b = new float[ANCHORS * BOX];
        hs.buffer().asFloatBuffer().get(s);
        hb.buffer().asFloatBuffer().get(b);
        return decoder.decode(s, b, 0);
    }

    /** Frames of the last {@link #collect} with more than {@link #CANDIDATE_CAP} candidates, read back whole. */
    public int framesReadWhole() {
        return readWhole;
    }

    /** The network inputs the device makes from {@code frames} (for the GPU test against {@link I420LetterboxTwin}). */
    public void letterboxI420(I420Frames frames, float[] out) {
        int n = frames.size();
        if (out.length < (long) n * IMAGE) {
            throw new IllegalArgumentException("out holds " + out.length + " floats, need " + (long) n * IMAGE);
        }
        if (n == 0) {
            return;
        }
        uploadI420(frames);
        long dImages = letterboxOnDevice(n);
        PinnedBuffer h = cuda.pinned("bf.in", (long) n * IMAGE * 4);
        cuda.download(h, dImages, (long) n * IMAGE * 4);
        cuda.synchronize();
        h.buffer().asFloatBuffer().get(out, 0, n * IMAGE);
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
        if (jpeg != null) {
            jpeg.close();
            jpeg = null;
        }
        k.close();
        cuda.close();
    }
}
