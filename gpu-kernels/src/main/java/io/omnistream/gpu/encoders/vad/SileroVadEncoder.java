package io.omnistream.gpu.encoders.vad;

/**
 * Silero VAD v5 at 16 kHz as the project's own layer sequence, batched across sessions: one {@link #step} computes
 * the next 32 ms chunk of every session in the batch. Exists so that hundreds of sessions' VAD run as a few GEMMs per
 * step (on the GPU: one launch sequence for all) instead of one ONNX Runtime call per session and chunk.
 *
 * <p>Per session row, exactly the model's 16 kHz graph ({@link SileroVadWeights} checks the file against it):
 * <ol>
 *   <li>window = {@value #CONTEXT} context samples (the end of the previous chunk, zeros at the start) followed by
 *       the {@value #CHUNK}-sample chunk, values nominally in [-1, 1];</li>
 *   <li>reflect-pad {@value #PAD} samples on the right; STFT as a strided convolution with the model's 258×256 basis
 *       (stride {@value #HOP}, {@value #FRAMES} frames); magnitude {@code sqrt(re² + im²)} of {@value #BINS} bins;</li>
 *   <li>four Conv1d (kernel 3, padding 1) + ReLU: 129→128 (stride 1), 128→64 (2), 64→64 (2), 64→128 (1), leaving
 *       one frame of 128 features;</li>
 *   <li>LSTM cell (hidden {@value #HIDDEN}, PyTorch gate order i, f, g, o) on that frame with the session's (h, c);</li>
 *   <li>ReLU, 1×1 Conv 128→1, sigmoid: the speech probability.</li>
 * </ol>
 * The recurrent state of a session is {@value #STATE} floats, {@code h} then {@code c} — the same layout as the ONNX
 * model's {@code state [2, 1, 128]} for one session — so it can be moved between this encoder, ONNX Runtime and Flink
 * state freely. Implementations need not be thread-safe.
 */
public interface SileroVadEncoder extends AutoCloseable {
    int SAMPLE_RATE = 16_000;
    int CHUNK = 512;
    int CONTEXT = 64;
    int WINDOW = CONTEXT + CHUNK;
    int PAD = 64;
    int FFT = 256;
    int HOP = 128;
    int FRAMES = 4;
    int BINS = FFT / 2 + 1;
    int HIDDEN = 128;
    int STATE = 2 * HIDDEN;
    int LAYERS = 4;
    int KERNEL = 3;
    int[] CONV_IN = {BINS, 128, 64, 64};
    int[] CONV_OUT = {128, 64, 64, 128};
    int[] STRIDE = {1, 2, 2, 1};

    /**
     * Runs one chunk for each of {@code n} sessions.
     *
     * @param windows {@code n * WINDOW} samples: per session its context then its chunk
     * @param state   {@code n * STATE} floats, per session {@code h} then {@code c}; read, then overwritten with the
     *                new state
     * @param probOut receives {@code n} speech probabilities
     * @param n       number of sessions in this step, may be 0
     */
    void step(float[] windows, float[] state, float[] probOut, int n);

    /** Whether this implementation runs on a GPU. */
    default boolean onGpu() {
        return false;
    }

    @Override
    default void close() {}

    /** Checks array sizes; shared so that bad input fails the same way in every implementation. */
    static void checkArgs(float[] windows, float[] state, float[] probOut, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n < 0: " + n);
        }
        if (windows.length < (long) n * WINDOW) {
            throw new IllegalArgumentException("windows holds " + windows.length + " samples, need " + (long) n * WINDOW);
        }
        if (state.length < (long) n * STATE) {
            throw new IllegalArgumentException("state holds " + state.length + " floats, need " + (long) n * STATE);
        }
        if (probOut.length < n) {
            throw new IllegalArgumentException("probOut holds " + probOut.length + ", need " + n);
        }
    }
}
