package io.omnistream.operators.vad;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Map;

/**
 * Silero VAD v5 through ONNX Runtime: one ORT session per operator instance, shared by all the
 * sessions (keys) of that instance, while each key's recurrent state and audio context live in
 * {@link VadState} (Flink keyed state), so a restart from a checkpoint resumes exactly.
 *
 * <p>Model contract (checked at load): {@code input [batch, context+chunk]} float in [-1, 1],
 * {@code state [2, batch, 128]}, {@code sr} int64 scalar; outputs {@code output [batch, 1]}
 * (speech probability) and {@code stateN}. As in the reference implementation, each 512-sample
 * chunk is preceded by the last 64 samples of the previous one.
 */
public final class SileroVad implements AutoCloseable {
    public static final int STATE_SIZE = 2 * 128;

    private final OrtEnvironment env;
    private final OrtSession session;
    private final int chunk;
    private final int context;
    private final int sampleRate;

    public SileroVad(Path model, int chunkSamples, int contextSamples, int sampleRate, int threads) throws OrtException {
        this.env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        options.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
        this.session = env.createSession(model.toString(), options);
        if (!session.getInputNames().containsAll(java.util.List.of("input", "state", "sr"))) {
            throw new IllegalStateException("not a Silero VAD v5 model (inputs " + session.getInputNames() + "): " + model);
        }
        this.chunk = chunkSamples;
        this.context = contextSamples;
        this.sampleRate = sampleRate;
    }

    public int chunkSamples() {
        return chunk;
    }

    /**
     * Feeds samples (already in [-1, 1]) to one key's VAD; runs the model on every complete chunk.
     *
     * @return the speech probability of the last chunk completed by these samples, or -1 when none completed
     */
    public float accept(VadState st, float[] samples, int offset, int length) throws OrtException {
        st.ensureSized(chunk, context);
        float last = -1f;
        int i = offset;
        int end = offset + length;
        while (i < end) {
            int n = Math.min(chunk - st.pendingCount, end - i);
            System.arraycopy(samples, i, st.pending, st.pendingCount, n);
            st.pendingCount += n;
            i += n;
            if (st.pendingCount == chunk) {
                last = infer(st);
                st.pendingCount = 0;
            }
        }
        return last;
    }

    private float infer(VadState st) throws OrtException {
        float[] x = new float[context + chunk];
        System.arraycopy(st.context, 0, x, 0, context);
        System.arraycopy(st.pending, 0, x, context, chunk);
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {1, x.length});
                OnnxTensor state = OnnxTensor.createTensor(env, FloatBuffer.wrap(st.state), new long[] {2, 1, 128});
                OnnxTensor sr = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {sampleRate}), new long[] {});
                OrtSession.Result r = session.run(Map.of("input", input, "state", state, "sr", sr))) {
            float prob = ((float[][]) r.get(0).getValue())[0][0];
            FloatBuffer next = ((OnnxTensor) r.get(1)).getFloatBuffer();
            next.get(st.state, 0, STATE_SIZE);
            System.arraycopy(x, x.length - context, st.context, 0, context);
            if (!Float.isFinite(prob)) {
                st.reset(chunk, context);
                return 0f;
            }
            st.lastProbability = prob;
            st.chunks++;
            return prob;
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
