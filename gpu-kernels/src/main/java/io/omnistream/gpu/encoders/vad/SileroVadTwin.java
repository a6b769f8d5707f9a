package io.omnistream.gpu.encoders.vad;

import java.nio.FloatBuffer;

/**
 * The pure-Java {@link SileroVadEncoder}: the specification the GPU implementation is tested against and the
 * fallback where there is no GPU. fp32 throughout, like ONNX Runtime's CPU kernels; each layer runs over the whole
 * batch before the next, the way the GPU kernels do. Its {@link ResidentSileroVad} slots are host arrays: a resident
 * step gathers the slots' windows and states, runs {@link #step} and scatters them back, which is exactly what the GPU
 * kernels {@code vad_slot_gather} / {@code vad_slot_scatter} do around the same sequence.
 */
public final class SileroVadTwin implements ResidentSileroVad {
    private final SileroVadWeights w;
    private float[] padded = new float[0];
    private float[] mag = new float[0];
    private float[] act0 = new float[0];
    private float[] act1 = new float[0];
    private float[] gates = new float[0];
    private final float[] acc = new float[4 * HIDDEN];
    /** Weights transposed so that every inner loop runs over outputs (an axpy the JIT vectorises). */
    private final float[] basisT;
    private final float[][] convT = new float[LAYERS][];
    private final float[] wIhT;
    private final float[] wHhT;
    /** Resident sessions: {@code [capacity][CONTEXT]} context and {@code [capacity][STATE]} (h, c). */
    private float[] slotCtx = new float[0];
    private float[] slotState = new float[0];
    private int capacity;
    private FloatBuffer chunks = FloatBuffer.allocate(0);
    private float[] residentWindows = new float[0];
    private float[] residentState = new float[0];

    public SileroVadTwin(SileroVadWeights weights) {
        this.w = weights;
        this.basisT = transpose(weights.basis, SileroVadWeights.BASIS_ROWS, FFT);
        for (int l = 0; l < LAYERS; l++) {
            convT[l] = transpose(weights.convW[l], CONV_OUT[l], CONV_IN[l] * KERNEL);
        }
        this.wIhT = transpose(weights.wIh, 4 * HIDDEN, HIDDEN);
        this.wHhT = transpose(weights.wHh, 4 * HIDDEN, HIDDEN);
    }

    private static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }

    @Override
    public void step(float[] windows, float[] state, float[] probOut, int n) {
        SileroVadEncoder.checkArgs(windows, state, probOut, n);
        if (n == 0) {
            return;
        }
        int len = WINDOW + w.reflectPad;
        padded = ensure(padded, n * len);
        mag = ensure(mag, n * BINS * FRAMES);
        int maxAct = 0;
        for (int l = 0; l < LAYERS; l++) {
            maxAct = Math.max(maxAct, CONV_OUT[l] * FRAMES);
        }
        act0 = ensure(act0, n * maxAct);
        act1 = ensure(act1, n * maxAct);
        gates = ensure(gates, n * 4 * HIDDEN);

        reflectPad(windows, n, len);
        stftMagnitude(n, len);
        float[] in = mag;
        float[] out = act0;
        int t = FRAMES;
        for (int l = 0; l < LAYERS; l++) {
            int tOut = (t + 2 - KERNEL) / STRIDE[l] + 1;
            conv1dRelu(in, out, n, CONV_IN[l], CONV_OUT[l], t, tOut, STRIDE[l], convT[l], w.convB[l]);
            in = out;
            out = out == act0 ? act1 : act0;
            t = tOut;
        }
        if (t != 1) {
            throw new IllegalStateException("encoder left " + t + " frames, expected 1");
        }
        lstmCell(in, state, n);
        decode(state, probOut, n);
    }

    /** {@code padded[b] = window[b] ++ reflect(window[b])}: torch's F.pad(mode="reflect") on the right. */
    private void reflectPad(float[] windows, int n, int len) {
        for (int b = 0; b < n; b++) {
            System.arraycopy(windows, b * WINDOW, padded, b * len, WINDOW);
            for (int j = 0; j < w.reflectPad; j++) {
                padded[b * len + WINDOW + j] = windows[b * WINDOW + WINDOW - 2 - j];
            }
        }
    }

    /**
     * Conv1d(1 → 258, kernel 256, stride 128) with the basis, then magnitude of the 129 (re, im) pairs. Each output
     * is the sum over the 256 taps in tap order, in fp32.
     */
    private void stftMagnitude(int n, int len) {
        int rows = SileroVadWeights.BASIS_ROWS;
        for (int b = 0; b < n; b++) {
            for (int t = 0; t < FRAMES; t++) {
                java.util.Arrays.fill(acc, 0, rows, 0f);
                int x0 = b * len + t * HOP;
                for (int k = 0; k < FFT; k++) {
                    float x = padded[x0 + k];
                    int wr = k * rows;
                    for (int r = 0; r < rows; r++) {
                        acc[r] += basisT[wr + r] * x;
                    }
                }
                for (int f = 0; f < BINS; f++) {
                    float re = acc[f];
                    float im = acc[BINS + f];
                    mag[(b * BINS + f) * FRAMES + t] = (float) Math.sqrt(re * re + im * im);
                }
            }
        }
    }

    /**
     * Conv1d with kernel 3, zero padding 1, then ReLU; activations {@code [n][channels][frames]}. Each output is its
     * bias plus the sum over (input channel, tap) in that order, in fp32.
     */
    private void conv1dRelu(float[] in, float[] out, int n, int cin, int cout, int tIn, int tOut, int stride, float[] weightT,
            float[] bias) {
        for (int b = 0; b < n; b++) {
            int inBase = b * cin * tIn;
            for (int t = 0; t < tOut; t++) {
                System.arraycopy(bias, 0, acc, 0, cout);
                int start = t * stride - 1;
                for (int i = 0; i < cin; i++) {
                    for (int k = 0; k < KERNEL; k++) {
                        int p = start + k;
                        if (p < 0 || p >= tIn) {
                            continue;
                        }
                        float x = in[inBase + i * tIn + p];
                        int wr = (i * KERNEL + k) * cout;
                        for (int o = 0; o < cout; o++) {
                            acc[o] += weightT[wr + o] * x;
                        }
                    }
                }
                for (int o = 0; o < cout; o++) {
                    out[(b * cout + o) * tOut + t] = Math.max(acc[o], 0f);
                }
            }
        }
    }

    /**
     * One LSTM step per session: {@code gates = (b_ih + b_hh) + W_ih x + W_hh h} (summed in that order, fp32); state
     * updated in place.
     */
    private void lstmCell(float[] x, float[] state, int n) {
        int h = HIDDEN;
        int g4 = 4 * h;
        for (int b = 0; b < n; b++) {
            for (int r = 0; r < g4; r++) {
                acc[r] = w.bIh[r] + w.bHh[r];
            }
            for (int k = 0; k < h; k++) {
                float v = x[b * h + k];
                int wr = k * g4;
                for (int r = 0; r < g4; r++) {
                    acc[r] += wIhT[wr + r] * v;
                }
            }
            for (int k = 0; k < h; k++) {
                float v = state[b * STATE + k];
                int wr = k * g4;
                for (int r = 0; r < g4; r++) {
                    acc[r] += wHhT[wr + r] * v;
                }
            }
            System.arraycopy(acc, 0, gates, b * g4, g4);
        }
        for (int b = 0; b < n; b++) {
            int g = b * 4 * h;
            int sb = b * STATE;
            for (int j = 0; j < h; j++) {
                float i = sigmoid(gates[g + j]);
                float f = sigmoid(gates[g + h + j]);
                float c = (float) Math.tanh(gates[g + 2 * h + j]);
                float o = sigmoid(gates[g + 3 * h + j]);
                float cNew = f * state[sb + h + j] + i * c;
                state[sb + h + j] = cNew;
                state[sb + j] = o * (float) Math.tanh(cNew);
            }
        }
    }

    /** ReLU(h), 1×1 conv to one channel, sigmoid. */
    private void decode(float[] state, float[] probOut, int n) {
        for (int b = 0; b < n; b++) {
            float s = w.decB;
            for (int k = 0; k < HIDDEN; k++) {
                s += w.decW[k] * Math.max(state[b * STATE + k], 0f);
            }
            probOut[b] = sigmoid(s);
        }
    }

    static float sigmoid(float v) {
        return (float) (1.0 / (1.0 + Math.exp(-v)));
    }

    @Override
    public void reserveSessions(int newCapacity) {
        if (newCapacity <= capacity) {
            return;
        }
        int grown = ResidentSileroVad.grownCapacity(capacity, newCapacity);
        slotCtx = java.util.Arrays.copyOf(slotCtx, grown * CONTEXT);
        slotState = java.util.Arrays.copyOf(slotState, grown * STATE);
        capacity = grown;
    }

    @Override
    public int sessionCapacity() {
        return capacity;
    }

    @Override
    public FloatBuffer chunkInput(int n) {
        if (chunks.capacity() < n * CHUNK) {
            chunks = FloatBuffer.allocate(n * CHUNK);
        }
        return chunks.clear();
    }

    @Override
    public void stepResident(int[] slots, int n, float[] probOut) {
        if (n < 0 || slots.length < n || probOut.length < n) {
            throw new IllegalArgumentException("n = " + n + ", " + slots.length + " slots, probOut holds " + probOut.length);
        }
        ResidentSileroVad.checkSlots(slots, n, capacity);
        if (n == 0) {
            return;
        }
        residentWindows = ensure(residentWindows, n * WINDOW);
        residentState = ensure(residentState, n * STATE);
        float[] chunk = chunks.array();
        for (int r = 0; r < n; r++) {
            int slot = slots[r];
            System.arraycopy(slotCtx, slot * CONTEXT, residentWindows, r * WINDOW, CONTEXT);
            System.arraycopy(chunk, r * CHUNK, residentWindows, r * WINDOW + CONTEXT, CHUNK);
            System.arraycopy(slotState, slot * STATE, residentState, r * STATE, STATE);
        }
        step(residentWindows, residentState, probOut, n);
        for (int r = 0; r < n; r++) {
            int slot = slots[r];
            System.arraycopy(chunk, r * CHUNK + CHUNK - CONTEXT, slotCtx, slot * CONTEXT, CONTEXT);
            System.arraycopy(residentState, r * STATE, slotState, slot * STATE, STATE);
        }
    }

    @Override
    public void readSessions(int[] slots, int n, float[] hc, float[] context) {
        ResidentSileroVad.checkRecords(slots, n, hc, context);
        ResidentSileroVad.checkSlots(slots, n, capacity);
        for (int r = 0; r < n; r++) {
            System.arraycopy(slotState, slots[r] * STATE, hc, r * STATE, STATE);
            System.arraycopy(slotCtx, slots[r] * CONTEXT, context, r * CONTEXT, CONTEXT);
        }
    }

    @Override
    public void writeSessions(int[] slots, int n, float[] hc, float[] context) {
        ResidentSileroVad.checkRecords(slots, n, hc, context);
        ResidentSileroVad.checkSlots(slots, n, capacity);
        for (int r = 0; r < n; r++) {
            System.arraycopy(hc, r * STATE, slotState, slots[r] * STATE, STATE);
            System.arraycopy(context, r * CONTEXT, slotCtx, slots[r] * CONTEXT, CONTEXT);
        }
    }

    private static float[] ensure(float[] a, int n) {
        return a.length >= n ? a : new float[n];
    }
}
