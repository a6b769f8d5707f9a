package io.omnistream.gpu.image;

import static org.bytedeco.cuda.global.nvjpeg.NVJPEG_BACKEND_DEFAULT;
import static org.bytedeco.cuda.global.nvjpeg.NVJPEG_BACKEND_GPU_HYBRID;
import static org.bytedeco.cuda.global.nvjpeg.NVJPEG_BACKEND_HARDWARE;
import static org.bytedeco.cuda.global.nvjpeg.NVJPEG_CSS_410;
import static org.bytedeco.cuda.global.nvjpeg.NVJPEG_CSS_410V;
import static org.bytedeco.cuda.global.nvjpeg.NVJPEG_CSS_411;
import static org.bytedeco.cuda.global.nvjpeg.NVJPEG_CSS_UNKNOWN;
import static org.bytedeco.cuda.global.nvjpeg.NVJPEG_FLAGS_DEFAULT;
import static org.bytedeco.cuda.global.nvjpeg.NVJPEG_OUTPUT_RGBI;
import static org.bytedeco.cuda.global.nvjpeg.nvjpegCreateEx;
import static org.bytedeco.cuda.global.nvjpeg.nvjpegDecodeBatched;
import static org.bytedeco.cuda.global.nvjpeg.nvjpegDecodeBatchedInitialize;
import static org.bytedeco.cuda.global.nvjpeg.nvjpegDestroy;
import static org.bytedeco.cuda.global.nvjpeg.nvjpegGetImageInfo;
import static org.bytedeco.cuda.global.nvjpeg.nvjpegJpegStateCreate;
import static org.bytedeco.cuda.global.nvjpeg.nvjpegJpegStateDestroy;

import io.omnistream.gpu.runtime.CudaContext;
import io.omnistream.gpu.runtime.CudaException;
import io.omnistream.gpu.runtime.PinnedBuffer;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.cuda.nvjpeg.nvjpegHandle;
import org.bytedeco.cuda.nvjpeg.nvjpegImage_t;
import org.bytedeco.cuda.nvjpeg.nvjpegJpegState;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * Many sessions' JPEG camera pictures decoded on the GPU in one nvJPEG batched call ({@code nvjpegDecodeBatched},
 * interleaved RGB out), into one device buffer that is reused across batches: the first half of the JPEG camera path
 * of {@code BlazeFaceCuda.detectJpeg}, which exists so that the decoded pixels never cross PCIe (only the compressed
 * bytes do, about a tenth of the I420 frames). {@link JdkJpegDecoder} is its specification on the host.
 *
 * <p>Each picture's header is read first ({@code nvjpegGetImageInfo}): a picture nvJPEG cannot parse, with an unknown
 * colour model or sizes beyond {@link RgbPicture#MAX_SIDE}, is left out of the batch with its reason. When the batched
 * call itself fails (a picture whose header parses but whose data does not decode), the pictures are decoded again one
 * by one so that only the bad ones are left out. With the {@link Backend#HARDWARE} back end (the default: on the
 * H200 its JPEG engines decode 1,024 VGA pictures in 33 ms, the library's default back end in 840 ms), pictures the
 * engines do not take (progressive, 4:1:1 / 4:1:0 chroma) are decoded by the default back end in a second call. Host staging (pinned, for the JPEG bytes) and the output buffer come
 * from the {@link CudaContext}'s pools and only grow, so steady-state batches allocate nothing; nvJPEG keeps its own
 * work buffers in its state across batches. Not thread-safe (one operator instance, one thread at a time).
 */
public final class NvJpegDecoder implements AutoCloseable {

    /** nvJPEG's decoding back end for the batched call. */
    public enum Backend {
        /** The library's choice (Huffman decoding on the host for small batches, on the GPU for large ones). */
        DEFAULT(NVJPEG_BACKEND_DEFAULT),
        /** Huffman decoding on the GPU. */
        GPU_HYBRID(NVJPEG_BACKEND_GPU_HYBRID),
        /** The GPU's hardware JPEG decoder engines (A100, H100, H200; baseline JPEGs only). */
        HARDWARE(NVJPEG_BACKEND_HARDWARE);

        final int code;

        Backend(int code) {
            this.code = code;
        }
    }

    /**
     * The back end used unless one is chosen: the GPU's JPEG engines, the fastest on the H200 at every batch size
     * measured (gpu-kernels/BENCHMARKS.md, "Faces from JPEG camera pictures").
     */
    public static final Backend DEFAULT_BACKEND = Backend.HARDWARE;

    /** Bytes each picture's output starts on (device alignment of the RGB rows' base). */
    private static final long ALIGN = 256;

    /** The pictures of one {@link #decode} call, as they lie on the device. */
    public static final class Batch {
        private final int size;
        private final String[] errors;
        private final int[] widths;
        private final int[] heights;
        private int[] decoded;
        private int[] meta;
        private long deviceRgb;

        Batch(int size) {
            this.size = size;
            errors = new String[size];
            widths = new int[size];
            heights = new int[size];
        }

        /** Pictures handed in. */
        public int size() {
            return size;
        }

        /** Why picture {@code i} was not decoded, or {@code null}. */
        public String error(int i) {
            return errors[i];
        }

        public int width(int i) {
            return widths[i];
        }

        public int height(int i) {
            return heights[i];
        }

        /** Indexes (into the pictures handed in) of the decoded ones, in order. */
        public int[] decoded() {
            return decoded;
        }

        /**
         * Per decoded picture {@link Letterbox#META_INTS} ints, in {@link #decoded()} order: its byte offset in
         * {@link #deviceRgb()}, then its letterbox (the layout of {@code bf_rgb_letterbox} and {@code bf_i420_letterbox}).
         */
        public int[] meta() {
            return meta;
        }

        /** Device address of the decoded pictures (interleaved RGB, rows of {@code 3·width} bytes, at meta's offsets). */
        public long deviceRgb() {
            return deviceRgb;
        }

        /** The letterbox of picture {@code i} (decoded). */
        public Letterbox letterbox(int i) {
            return Letterbox.of(widths[i], heights[i], Letterbox.BLAZEFACE);
        }
    }

    private final CudaContext cuda;
    private final Backend backend;
    private final nvjpegHandle handle = new nvjpegHandle();
    private final nvjpegJpegState state = new nvjpegJpegState();
    private final IntPointer components = new IntPointer(1);
    private final IntPointer subsampling = new IntPointer(1);
    private final IntPointer widths = new IntPointer(4);
    private final IntPointer heights = new IntPointer(4);
    private PointerPointer<Pointer> data = new PointerPointer<>(1);
    private SizeTPointer lengths = new SizeTPointer(1);
    private nvjpegImage_t images = new nvjpegImage_t(1);
    private int capacity = 1;
    private long pictures;
    private long failures;
    private long batchRetries;
    private long otherBackend;
    /** The default back end, for what the hardware engines refuse (created when first needed). */
    private nvjpegHandle spareHandle;
    private nvjpegJpegState spareState;
    private boolean closed;

    /** Creates the nvJPEG handle and state on {@code cuda}'s device (loads {@code libnvjpeg.so.13}). */
    public NvJpegDecoder(CudaContext cuda, Backend backend) {
        this.cuda = cuda;
        this.backend = backend;
        cuda.makeCurrent();
        check(nvjpegCreateEx(backend.code, null, null, NVJPEG_FLAGS_DEFAULT, handle), "nvjpegCreateEx(" + backend + ")");
        int rc = nvjpegJpegStateCreate(handle, state);
        if (rc != 0) {
            nvjpegDestroy(handle);
            check(rc, "nvjpegJpegStateCreate");
        }
    }

    public Backend backend() {
        return backend;
    }

    /**
     * Decodes {@code jpegs} into the device buffer: header checks on the host, the JPEG bytes packed once into pinned
     * memory, one batched decode on the context's stream (asynchronous: work queued after it on the stream sees the
     * pixels). The returned batch is valid until the next call.
     */
    public Batch decode(List<byte[]> jpegs) {
        if (closed) {
            throw new IllegalStateException("nvJPEG decoder closed");
        }
        cuda.makeCurrent();
        int n = jpegs.size();
        Batch b = new Batch(n);
        long in = 0;
        for (byte[] j : jpegs) {
            in += j == null ? 0 : j.length;
        }
        if (in > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("batch too large: " + in + " bytes of JPEG");
        }
        PinnedBuffer staging = cuda.pinned("nvjpeg.in", Math.max(1, in));
        ByteBuffer buf = staging.buffer();
        long base = new Pointer(buf).address();
        long[] at = new long[n];
        int pos = 0;
        for (int i = 0; i < n; i++) {
            byte[] j = jpegs.get(i);
            at[i] = base + pos;
            if (j != null && j.length > 0) {
                buf.put(pos, j);
                pos += j.length;
            }
        }
        int[] ok = new int[n];
        boolean[] onEngines = new boolean[n];
        int m = 0;
        long out = 0;
        long[] offset = new long[n];
        for (int i = 0; i < n; i++) {
            String why = header(jpegs.get(i), at[i]);
            if (why != null) {
                b.errors[i] = why;
                continue;
            }
            b.widths[i] = widths.get(0);
            b.heights[i] = heights.get(0);
            onEngines[i] = backend != Backend.HARDWARE || hardwareDecodes(jpegs.get(i), subsampling.get(0));
            offset[i] = out;
            out += (3L * b.widths[i] * b.heights[i] + ALIGN - 1) / ALIGN * ALIGN;
            ok[m++] = i;
        }
        if (out > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("batch too large: " + out + " bytes of decoded pictures");
        }
        long d = cuda.pool().get("nvjpeg.rgb", Math.max(ALIGN, out));
        if (m > 0) {
            ensureCapacity(m);
            // The hardware engines take baseline JPEGs without 4:1:1 / 4:1:0 chroma; the others go to the library's
            // default back end in a second batched call.
            int[] main = new int[m];
            int[] other = new int[m];
            int nm = 0;
            int no = 0;
            for (int k = 0; k < m; k++) {
                int i = ok[k];
                if (backend == Backend.HARDWARE && !onEngines[i]) {
                    other[no++] = i;
                } else {
                    main[nm++] = i;
                }
            }
            nm = decodeGroup(false, main, nm, jpegs, at, d, offset, b);
            if (no > 0) {
                cuda.synchronize(); // the descriptor arrays are reused
                otherBackend++;
                no = decodeGroup(true, other, no, jpegs, at, d, offset, b);
            }
            m = 0;
            int x = 0;
            int y = 0;
            while (x < nm || y < no) { // picture order again
                ok[m++] = y >= no || (x < nm && main[x] < other[y]) ? main[x++] : other[y++];
            }
        }
        b.decoded = Arrays.copyOf(ok, m);
        b.meta = new int[m * Letterbox.META_INTS];
        for (int k = 0; k < m; k++) {
            int i = ok[k];
            b.meta[k * Letterbox.META_INTS] = (int) offset[i];
            b.letterbox(i).writeMeta(b.meta, k * Letterbox.META_INTS + 1);
        }
        b.deviceRgb = d;
        pictures += n;
        failures += n - m;
        return b;
    }

    /**
     * Decodes pictures {@code idx[0, n)} with one batched call ({@code spare}: on the default back end); when that
     * fails, one by one, leaving out (with their reason) those that fail alone too. Returns how many remain in
     * {@code idx} (compacted, in order).
     */
    private int decodeGroup(boolean spare, int[] idx, int n, List<byte[]> jpegs, long[] at, long d, long[] offset, Batch b) {
        if (n == 0) {
            return 0;
        }
        for (int k = 0; k < n; k++) {
            place(k, idx[k], jpegs.get(idx[k]).length, at, d + offset[idx[k]], b);
        }
        if (batched(spare, n) == 0) {
            return n;
        }
        // A picture whose header parsed but whose data did not: find it (them) one by one.
        batchRetries++;
        int kept = 0;
        for (int k = 0; k < n; k++) {
            int i = idx[k];
            place(0, i, jpegs.get(i).length, at, d + offset[i], b);
            int one = batched(spare, 1);
            if (one != 0 && !spare && backend != Backend.DEFAULT) {
                one = batched(true, 1); // what the hardware refuses, the default back end may still decode
            }
            if (one == 0) {
                cuda.synchronize(); // the descriptor arrays are reused by the next picture
                idx[kept++] = i;
            } else {
                b.errors[i] = "nvJPEG could not decode the picture (nvjpegDecodeBatched status " + one + ")";
            }
        }
        return kept;
    }

    /** Whether the hardware engines decode the picture: a baseline (SOF0) frame, chroma not 4:1:1 / 4:1:0. */
    private static boolean hardwareDecodes(byte[] jpeg, int css) {
        if (css == NVJPEG_CSS_411 || css == NVJPEG_CSS_410 || css == NVJPEG_CSS_410V) {
            return false;
        }
        int p = 2;
        while (p + 4 <= jpeg.length) {
            if ((jpeg[p] & 0xff) != 0xFF) {
                return false;
            }
            int marker = jpeg[p + 1] & 0xff;
            if (marker == 0xFF) {
                p++; // fill byte
                continue;
            }
            if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
                return marker == 0xC0; // the frame header: baseline or not
            }
            p += 2 + (((jpeg[p + 2] & 0xff) << 8) | (jpeg[p + 3] & 0xff));
        }
        return false;
    }

    /** Why the picture at host address {@code at} cannot be decoded, or {@code null} (then widths/heights hold its size). */
    private String header(byte[] jpeg, long at) {
        if (jpeg == null || jpeg.length < 4) {
            return "not a JPEG (" + (jpeg == null ? 0 : jpeg.length) + " bytes)";
        }
        int rc = nvjpegGetImageInfo(handle, new BytePointer(at(at)), jpeg.length, components, subsampling, widths, heights);
        if (rc != 0) {
            return "JPEG header not readable by nvJPEG (nvjpegGetImageInfo status " + rc + ")";
        }
        int c = components.get(0);
        if ((c != 1 && c != 3) || subsampling.get(0) == NVJPEG_CSS_UNKNOWN) {
            return "JPEG with " + c + " components, subsampling " + subsampling.get(0) + " (only greyscale and YCbCr pictures)";
        }
        try {
            RgbPicture.checkSize(widths.get(0), heights.get(0));
        } catch (BadJpegException e) {
            return e.getMessage();
        }
        return null;
    }

    private void place(int slot, int i, int length, long[] at, long device, Batch b) {
        data.put(slot, at(at[i]));
        lengths.put(slot, length);
        nvjpegImage_t img = images.getPointer(slot);
        for (int c = 0; c < 4; c++) {
            img.channel(c, (BytePointer) null);
            img.pitch(c, 0);
        }
        img.channel(0, new BytePointer(at(device)));
        img.pitch(0, 3L * b.widths[i]);
    }

    private int batched(boolean spare, int m) {
        nvjpegHandle h = handle;
        nvjpegJpegState st = state;
        if (spare && backend != Backend.DEFAULT) {
            if (spareHandle == null) {
                nvjpegHandle sh = new nvjpegHandle();
                check(nvjpegCreateEx(NVJPEG_BACKEND_DEFAULT, null, null, NVJPEG_FLAGS_DEFAULT, sh), "nvjpegCreateEx(DEFAULT)");
                nvjpegJpegState ss = new nvjpegJpegState();
                int rc = nvjpegJpegStateCreate(sh, ss);
                if (rc != 0) {
                    nvjpegDestroy(sh);
                    check(rc, "nvjpegJpegStateCreate");
                }
                spareHandle = sh;
                spareState = ss;
            }
            h = spareHandle;
            st = spareState;
        }
        int rc = nvjpegDecodeBatchedInitialize(h, st, m, 1, NVJPEG_OUTPUT_RGBI);
        if (rc != 0) {
            return rc;
        }
        return nvjpegDecodeBatched(h, st, data, lengths, images, cuda.stream());
    }

    private void ensureCapacity(int m) {
        if (m <= capacity) {
            return;
        }
        int cap = Math.max(m, capacity + capacity / 2);
        data.close();
        lengths.close();
        images.close();
        data = new PointerPointer<>(cap);
        lengths = new SizeTPointer(cap);
        images = new nvjpegImage_t(cap);
        capacity = cap;
    }

    private static Pointer at(long hostOrDeviceAddress) {
        return new Pointer() {
            {
                address = hostOrDeviceAddress; // (a parameter named "address" would be shadowed by the field)
            }
        };
    }

    /** Pictures handed to {@link #decode} so far. */
    public long pictures() {
        return pictures;
    }

    /** Pictures left out as not decodable so far. */
    public long failures() {
        return failures;
    }

    /** Batches with pictures the hardware engines do not take, decoded by the default back end. */
    public long otherBackendBatches() {
        return otherBackend;
    }

    /** Batches whose batched call failed and were decoded picture by picture. */
    public long batchRetries() {
        return batchRetries;
    }

    private static void check(int rc, String call) {
        if (rc != 0) {
            throw new CudaException(call, rc, "nvjpegStatus_t " + rc);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        cuda.makeCurrent();
        nvjpegJpegStateDestroy(state);
        nvjpegDestroy(handle);
        if (spareHandle != null) {
            nvjpegJpegStateDestroy(spareState);
            nvjpegDestroy(spareHandle);
        }
        data.close();
        lengths.close();
        images.close();
        components.close();
        subsampling.close();
        widths.close();
        heights.close();
    }
}
