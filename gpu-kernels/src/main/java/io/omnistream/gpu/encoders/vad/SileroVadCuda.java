package io.omnistream.gpu.encoders.vad;

import static io.omnistream.gpu.encoders.EncoderModule.blocksFor;
import static io.omnistream.gpu.encoders.EncoderModule.ptr;

import io.omnistream.gpu.encoders.EncoderModule;
import io.omnistream.gpu.runtime.CudaContext;
import io.omnistream.gpu.runtime.PinnedBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * {@link SileroVadEncoder} on the GPU: every session of a step through one sequence of launches — the STFT, the
 * four convolutions (as im2col + GEMM) and the LSTM's input and recurrent products as cuBLAS SGEMMs over the whole
 * batch, and the kernels of {@code omni_encoders.cu} between them (framing with reflect padding, magnitude, bias +
 * ReLU, the LSTM cell, the decoder). Weights are uploaded once from {@link SileroVadWeights}. Owns its
 * {@link CudaContext}; buffers are reused across steps. Must equal {@link SileroVadTwin} within the tolerance of its
 * GPU test.
 *
 * <p>Two ways in. {@link #step} is the {@link SileroVadEncoder} contract: windows and states cross PCIe both ways every
 * step (21 MB at 5,000 sessions). The resident path keeps every session's context and (h, c) on the device in a slot
 * of its own between steps, so a step moves only the new audio up and the probabilities down: the caller writes each
 * session's 512 new samples straight into the pinned buffer of {@link #chunkInput} and calls {@link #stepResident}
 * with the sessions' slots; {@link #readSessions} and {@link #writeSessions} move a session's state (h, c and context,
 * the fields of {@link VadStreams.State}) out for a checkpoint and back in on restore, bit for bit. Both paths run the
 * same kernel sequence on the same numbers, so they give identical results.
 */
public final class SileroVadCuda implements ResidentSileroVad {
    private static final int THREADS = 256;

    private final CudaContext cuda;
    private final EncoderModule k;
    private final long basis;
    private final long[] convW = new long[LAYERS];
    private final long[] convB = new long[LAYERS];
    private final long wCat;
    private final long bSum;
    private final long decW;
    private final float decB;
    /** Sessions' slots on the device: {@code [capacity][CONTEXT]} context and {@code [capacity][STATE]} (h, c). */
    private long slotCtx;
    private long slotState;
    private int capacity;

    public SileroVadCuda(CudaContext cuda, SileroVadWeights w) {
        this.cuda = cuda;
        EncoderModule module = null;
        try {
            cuda.makeCurrent();
            module = new EncoderModule(cuda);
            basis = upload("vad.basis", w.basis);
            for (int l = 0; l < LAYERS; l++) {
                convW[l] = upload("vad.convW" + l, im2colOrder(w.convW[l], CONV_OUT[l], CONV_IN[l]));
                convB[l] = upload("vad.convB" + l, w.convB[l]);
            }
            float[] cat = new float[4 * HIDDEN * 2 * HIDDEN];
            float[] bias = new float[4 * HIDDEN];
            for (int r = 0; r < 4 * HIDDEN; r++) {
                System.arraycopy(w.wIh, r * HIDDEN, cat, r * 2 * HIDDEN, HIDDEN);
                System.arraycopy(w.wHh, r * HIDDEN, cat, r * 2 * HIDDEN + HIDDEN, HIDDEN);
                bias[r] = w.bIh[r] + w.bHh[r];
            }
            wCat = upload("vad.wCat", cat);
            bSum = upload("vad.bSum", bias);
            decW = upload("vad.decW", w.decW);
            decB = w.decB;
            if (w.reflectPad != PAD) {
                throw new IllegalStateException("kernel vad_frames pads " + PAD + " samples, the model " + w.reflectPad);
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

    /** Conv weights {@code [o][i][k]} reordered to {@code [o][k*C + i]}, the column order of {@code vad_im2col}. */
    static float[] im2colOrder(float[] w, int out, int in) {
        float[] r = new float[w.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                for (int kk = 0; kk < KERNEL; kk++) {
                    r[o * KERNEL * in + kk * in + i] = w[(o * in + i) * KERNEL + kk];
                }
            }
        }
        return r;
    }

    private long upload(String slot, float[] data) {
        return cuda.uploadFloats(slot, "vad.staging", data);
    }

    @Override
    public void step(float[] windows, float[] state, float[] probOut, int n) {
        SileroVadEncoder.checkArgs(windows, state, probOut, n);
        if (n == 0) {
            return;
        }
        cuda.makeCurrent();
        long winBytes = (long) n * WINDOW * 4;
        long stateBytes = (long) n * STATE * 4;
        PinnedBuffer hw = cuda.pinned("vad.win", winBytes);
        PinnedBuffer hs = cuda.pinned("vad.state", stateBytes);
        PinnedBuffer hp = cuda.pinned("vad.prob", n * 4L);
        hw.buffer().asFloatBuffer().put(windows, 0, n * WINDOW);
        hs.buffer().asFloatBuffer().put(state, 0, n * STATE);
        long dWin = cuda.pool().get("vad.dWin", winBytes);
        long dState = cuda.pool().get("vad.dState", stateBytes);
        long dProb = cuda.pool().get("vad.dProb", n * 4L);
        cuda.upload(dWin, hw, winBytes);
        cuda.upload(dState, hs, stateBytes);
        enqueue(dWin, dState, dProb, n);
        cuda.download(hs, dState, stateBytes);
        cuda.download(hp, dProb, n * 4L);
        cuda.synchronize();
        hs.buffer().asFloatBuffer().get(state, 0, n * STATE);
        hp.buffer().asFloatBuffer().get(probOut, 0, n);
    }

    /**
     * Queues one step on device buffers: {@code dWindows [n][576]}, {@code dState [n][256]} (updated in place),
     * {@code dProb [n]}. For benchmarks that keep the data on the device.
     */
    public void enqueue(long dWindows, long dState, long dProb, int n) {
        long rows4 = (long) n * FRAMES;
        long frames = cuda.pool().get("vad.frames", rows4 * FFT * 4);
        long spec = cuda.pool().get("vad.spec", rows4 * 2 * BINS * 4);
        long mag = cuda.pool().get("vad.mag", rows4 * BINS * 4);
        long cols = cuda.pool().get("vad.im2col", rows4 * KERNEL * BINS * 4);
        long gemm = cuda.pool().get("vad.gemm", rows4 * 128 * 4);
        long actA = cuda.pool().get("vad.actA", rows4 * 128 * 4);
        long actB = cuda.pool().get("vad.actB", rows4 * 128 * 4);
        long xh = cuda.pool().get("vad.xh", (long) n * 2 * HIDDEN * 4);
        long gates = cuda.pool().get("vad.gates", (long) n * 4 * HIDDEN * 4);

        k.launch("vad_frames", blocksFor(rows4 * FFT), THREADS, ptr(dWindows), n, ptr(frames));
        k.gemmRowMajor((int) rows4, 2 * BINS, FFT, frames, basis, spec);
        k.launch("vad_magnitude", blocksFor(rows4 * BINS), THREADS, ptr(spec), (int) rows4, ptr(mag));
        long in = mag;
        int t = FRAMES;
        for (int l = 0; l < LAYERS; l++) {
            int tOut = (t + 2 - KERNEL) / STRIDE[l] + 1;
            int rows = n * tOut;
            int c = CONV_IN[l];
            k.launch("vad_im2col", blocksFor((long) rows * KERNEL * c), THREADS, ptr(in), n, c, t, tOut, STRIDE[l], ptr(cols));
            k.gemmRowMajor(rows, CONV_OUT[l], KERNEL * c, cols, convW[l], gemm);
            boolean last = l == LAYERS - 1;
            long out = last ? xh : (in == actA ? actB : actA);
            k.launch("enc_bias_relu", blocksFor((long) rows * CONV_OUT[l]), THREADS, ptr(gemm), ptr(convB[l]), rows, CONV_OUT[l],
                    ptr(out), last ? 2 * HIDDEN : CONV_OUT[l]);
            in = out;
            t = tOut;
        }
        k.launch("vad_state_in", blocksFor((long) n * HIDDEN), THREADS, ptr(dState), n, ptr(xh));
        k.gemmRowMajor(n, 4 * HIDDEN, 2 * HIDDEN, xh, wCat, gates);
        k.launch("vad_lstm", blocksFor((long) n * HIDDEN), THREADS, ptr(gates), ptr(bSum), n, ptr(dState));
        k.launch("vad_decode", blocksFor((long) n * 32), THREADS, ptr(dState), ptr(decW), decB, n, ptr(dProb));
    }

    @Override
    public void reserveSessions(int newCapacity) {
        if (newCapacity <= capacity) {
            return;
        }
        cuda.makeCurrent();
        int grown = ResidentSileroVad.grownCapacity(capacity, newCapacity);
        long oldCtxBytes = (long) capacity * CONTEXT * 4;
        long oldStateBytes = (long) capacity * STATE * 4;
        long keepCtx = 0;
        long keepState = 0;
        if (capacity > 0) {
            // the pool frees a slot's buffer when it grows: park the sessions while the slots are reallocated
            keepCtx = cuda.pool().get("vad.slotCtx.keep", oldCtxBytes);
            keepState = cuda.pool().get("vad.slotState.keep", oldStateBytes);
            cuda.copy(keepCtx, slotCtx, oldCtxBytes);
            cuda.copy(keepState, slotState, oldStateBytes);
            cuda.synchronize();
        }
        long ctxBytes = (long) grown * CONTEXT * 4;
        long stateBytes = (long) grown * STATE * 4;
        long newCtx = cuda.pool().get("vad.slotCtx", ctxBytes);
        long newState = cuda.pool().get("vad.slotState", stateBytes);
        cuda.zero(newCtx, ctxBytes);
        cuda.zero(newState, stateBytes);
        if (capacity > 0) {
            cuda.copy(newCtx, keepCtx, oldCtxBytes);
            cuda.copy(newState, keepState, oldStateBytes);
        }
        cuda.synchronize();
        slotCtx = newCtx;
        slotState = newState;
        capacity = grown;
    }

    @Override
    public int sessionCapacity() {
        return capacity;
    }

    /** The caller's chunks go straight into pinned memory, so the upload is one DMA. */
    @Override
    public FloatBuffer chunkInput(int n) {
        return cuda.pinned("vad.chunks", (long) n * CHUNK * 4).buffer().asFloatBuffer();
    }

    /** Gathers the slots' windows and states on the device, runs {@link #enqueue}, scatters them back. */
    @Override
    public void stepResident(int[] slots, int n, float[] probOut) {
        if (n < 0 || slots.length < n || probOut.length < n) {
            throw new IllegalArgumentException("n = " + n + ", " + slots.length + " slots, probOut holds " + probOut.length);
        }
        if (n == 0) {
            return;
        }
        cuda.makeCurrent();
        long dSlots = uploadSlots(slots, n);
        long chunkBytes = (long) n * CHUNK * 4;
        PinnedBuffer hc = cuda.pinned("vad.chunks", chunkBytes);
        PinnedBuffer hp = cuda.pinned("vad.prob", n * 4L);
        long dChunks = cuda.pool().get("vad.dChunks", chunkBytes);
        long dWin = cuda.pool().get("vad.dWin", (long) n * WINDOW * 4);
        long dState = cuda.pool().get("vad.dState", (long) n * STATE * 4);
        long dProb = cuda.pool().get("vad.dProb", n * 4L);
        cuda.upload(dChunks, hc, chunkBytes);
        k.launch("vad_slot_gather", blocksFor((long) n * (WINDOW + STATE)), THREADS, ptr(dSlots), ptr(dChunks), ptr(slotCtx),
                ptr(slotState), n, ptr(dWin), ptr(dState));
        enqueue(dWin, dState, dProb, n);
        k.launch("vad_slot_scatter", blocksFor((long) n * (CONTEXT + STATE)), THREADS, ptr(dSlots), ptr(dChunks), ptr(dState), n,
                ptr(slotCtx), ptr(slotState));
        cuda.download(hp, dProb, n * 4L);
        cuda.synchronize();
        hp.buffer().asFloatBuffer().get(probOut, 0, n);
    }

    @Override
    public void readSessions(int[] slots, int n, float[] hc, float[] context) {
        ResidentSileroVad.checkRecords(slots, n, hc, context);
        if (n == 0) {
            return;
        }
        cuda.makeCurrent();
        long dSlots = uploadSlots(slots, n);
        long bytes = (long) n * (STATE + CONTEXT) * 4;
        long dRec = cuda.pool().get("vad.dRecords", bytes);
        PinnedBuffer h = cuda.pinned("vad.records", bytes);
        k.launch("vad_slot_records", blocksFor((long) n * (STATE + CONTEXT)), THREADS, ptr(dSlots), n, 0, ptr(dRec), ptr(slotCtx),
                ptr(slotState));
        cuda.download(h, dRec, bytes);
        cuda.synchronize();
        FloatBuffer f = h.buffer().asFloatBuffer();
        for (int r = 0; r < n; r++) {
            f.get(hc, r * STATE, STATE);
            f.get(context, r * CONTEXT, CONTEXT);
        }
    }

    @Override
    public void writeSessions(int[] slots, int n, float[] hc, float[] context) {
        ResidentSileroVad.checkRecords(slots, n, hc, context);
        if (n == 0) {
            return;
        }
        cuda.makeCurrent();
        long dSlots = uploadSlots(slots, n);
        long bytes = (long) n * (STATE + CONTEXT) * 4;
        long dRec = cuda.pool().get("vad.dRecords", bytes);
        PinnedBuffer h = cuda.pinned("vad.records", bytes);
        FloatBuffer f = h.buffer().asFloatBuffer();
        for (int r = 0; r < n; r++) {
            f.put(hc, r * STATE, STATE);
            f.put(context, r * CONTEXT, CONTEXT);
        }
        cuda.upload(dRec, h, bytes);
        k.launch("vad_slot_records", blocksFor((long) n * (STATE + CONTEXT)), THREADS, ptr(dSlots), n, 1, ptr(dRec), ptr(slotCtx),
                ptr(slotState));
        cuda.synchronize();
    }

    /** Checks the slots (in range, distinct: rows of one step must not race on a slot) and queues their upload. */
    private long uploadSlots(int[] slots, int n) {
        ResidentSileroVad.checkSlots(slots, n, capacity);
        PinnedBuffer h = cuda.pinned("vad.slots", n * 4L);
        IntBuffer ib = h.buffer().asIntBuffer();
        ib.put(slots, 0, n);
        long d = cuda.pool().get("vad.dSlots", n * 4L);
        cuda.upload(d, h, n * 4L);
        return d;
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
