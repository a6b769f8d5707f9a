package io.omnistream.gpu.testutils;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ONNX Runtime (CPU) on the real model files: what the encoders are checked against. Runs Silero VAD the way the
 * operators' {@code SileroVad} does (one session, 64 context samples before each 512-sample chunk, state carried).
 * Only in the test classpath outside the GPU bundle (see gpu-kernels/pom.xml, profile onnx-oracle).
 */
public final class OnnxRuntimeOracle implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    public OnnxRuntimeOracle(Path model) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(1);
        options.setInterOpNumThreads(1);
        options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
        session = env.createSession(model.toString(), options);
    }

    /** Declared inputs as ORT reports them: name → (element type name, shape with -1 for symbolic dims). */
    public Map<String, TensorInfo> inputs() throws OrtException {
        return tensorInfos(session.getInputInfo());
    }

    public Map<String, TensorInfo> outputs() throws OrtException {
        return tensorInfos(session.getOutputInfo());
    }

    public String producerName() throws OrtException {
        return session.getMetadata().getProducerName();
    }

    private static Map<String, TensorInfo> tensorInfos(Map<String, NodeInfo> infos) {
        Map<String, TensorInfo> m = new LinkedHashMap<>();
        infos.forEach((k, v) -> m.put(k, (TensorInfo) v.getInfo()));
        return m;
    }

    /** Result of a whole recording through Silero VAD: one probability per chunk and the final (h, c). */
    public record VadRun(float[] probabilities, float[] finalState) {}

    /** Silero VAD over {@code samples}, chunk by chunk, from zero state and zero context; a partial last chunk is dropped. */
    public VadRun sileroVad(float[] samples) throws OrtException {
        int chunk = 512;
        int context = 64;
        int chunks = samples.length / chunk;
        float[] probs = new float[chunks];
        float[] state = new float[256];
        float[] x = new float[context + chunk];
        try (OnnxTensor sr = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {16000}), new long[] {})) {
            for (int c = 0; c < chunks; c++) {
                System.arraycopy(x, chunk, x, 0, context);
                System.arraycopy(samples, c * chunk, x, context, chunk);
                try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {1, x.length});
                        OnnxTensor st = OnnxTensor.createTensor(env, FloatBuffer.wrap(state), new long[] {2, 1, 128});
                        OrtSession.Result r = session.run(Map.of("input", input, "state", st, "sr", sr))) {
                    probs[c] = ((float[][]) r.get(0).getValue())[0][0];
                    ((OnnxTensor) r.get(1)).getFloatBuffer().get(state);
                }
            }
        }
        return new VadRun(probs, state);
    }

    /** Raw outputs of a single-input model (BlazeFace) for one input tensor. */
    public Map<String, float[]> run(String inputName, float[] input, long[] shape) throws OrtException {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
                OrtSession.Result r = session.run(Map.of(inputName, t))) {
            for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : r) {
                FloatBuffer b = ((OnnxTensor) e.getValue()).getFloatBuffer();
                float[] a = new float[b.remaining()];
                b.get(a);
                out.put(e.getKey(), a);
            }
        }
        return out;
    }

    /**
     * all-MiniLM-L6-v2 the way langchain4j / sentence-transformers batch it: the sentences padded to the longest with
     * an attention mask, token types 0; returns {@code last_hidden_state} as {@code [n][maxLen][384]} (row-major).
     */
    public float[] miniLmHiddenStates(java.util.List<int[]> sentences) throws OrtException {
        int n = sentences.size();
        int max = sentences.stream().mapToInt(a -> a.length).max().orElse(0);
        long[] ids = new long[n * max];
        long[] mask = new long[n * max];
        for (int s = 0; s < n; s++) {
            int[] t = sentences.get(s);
            for (int i = 0; i < t.length; i++) {
                ids[s * max + i] = t[i];
                mask[s * max + i] = 1;
            }
        }
        long[] shape = {n, max};
        try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
                OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
                OnnxTensor ty = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[n * max]), shape);
                OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", m, "token_type_ids", ty))) {
            FloatBuffer b = ((OnnxTensor) r.get("last_hidden_state").get()).getFloatBuffer();
            float[] out = new float[b.remaining()];
            b.get(out);
            return out;
        }
    }

    /** Sentence embeddings: {@link #miniLmHiddenStates} mean-pooled over the mask and L2-normalised, {@code [n][384]}. */
    public float[] miniLmEmbeddings(java.util.List<int[]> sentences) throws OrtException {
        int n = sentences.size();
        int max = sentences.stream().mapToInt(a -> a.length).max().orElse(0);
        float[] h = miniLmHiddenStates(sentences);
        float[] out = new float[n * 384];
        for (int s = 0; s < n; s++) {
            int len = sentences.get(s).length;
            double norm = 0;
            for (int i = 0; i < 384; i++) {
                double sum = 0;
                for (int t = 0; t < len; t++) {
                    sum += h[(s * max + t) * 384 + i];
                }
                out[s * 384 + i] = (float) (sum / len);
                norm += (double) out[s * 384 + i] * out[s * 384 + i];
            }
            float inv = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
            for (int i = 0; i < 384; i++) {
                out[s * 384 + i] *= inv;
            }
        }
        return out;
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
