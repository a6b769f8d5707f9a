package io.omnistream.operators.respond;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.schemas.Identifier;
import io.omnistream.schemas.IdentifierType;
import io.omnistream.schemas.ScreenText;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The default, offline answer source: what the customer said (and what their screen shows) is
 * embedded with all-MiniLM-L6-v2 and matched by top-k cosine similarity against the knowledge base's
 * example utterances; the best intent's answer is filled with identifiers read from the screen.
 *
 * <p>Knowledge-base examples are embedded once at construction; a query costs one or two embeddings. With
 * {@link UnderstandingConfig#encodeNewTextOnly} (modality routing on) a text already embedded (the same screen
 * text for the next turn, the same transcript prepared at the pause and again at the end of turn) reuses its
 * vector instead of running the encoder again; the answer is the same either way.
 */
public final class EmbeddedResponder {
    private static final double TRANSCRIPT_WEIGHT = 0.7;
    /** The screen alone is weaker evidence than clear words. */
    private static final double SCREEN_ALONE_WEIGHT = 0.8;

    private final KnowledgeBase kb;
    private final SentenceEncoder encoder;
    private final UnderstandingConfig config;
    private final List<float[]> exampleVectors = new ArrayList<>();
    private final List<KnowledgeBase.Intent> exampleIntents = new ArrayList<>();
    private final List<float[]> screenVectors = new ArrayList<>();
    private final List<KnowledgeBase.Intent> screenIntents = new ArrayList<>();
    private final Map<String, float[]> recent;
    private long encodes;
    private long reuses;

    /** A chosen answer. */
    public static final class Answer {
        public final String intentId;
        public final String text;
        public final double score;
        /** Intents ranked by score, best first (at most top-k). */
        public final List<Map.Entry<String, Double>> ranking;

        Answer(String intentId, String text, double score, List<Map.Entry<String, Double>> ranking) {
            this.intentId = intentId;
            this.text = text;
            this.score = score;
            this.ranking = ranking;
        }

        @Override
        public String toString() {
            return intentId + "(" + String.format("%.3f", score) + "): " + text;
        }
    }

    public EmbeddedResponder(UnderstandingConfig config) {
        this.config = config;
        this.kb = KnowledgeBase.load(config.knowledgeBase);
        this.encoder = SentenceEncoder.create(config.textEncoder);
        int keep = Math.max(1, config.textEmbeddingCacheSize);
        this.recent = new java.util.LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
                return size() > keep;
            }
        };
        // the whole knowledge base in one batch (one launch sequence on the GPU)
        List<String> examples = new ArrayList<>();
        List<String> screens = new ArrayList<>();
        for (KnowledgeBase.Intent i : kb.intents) {
            for (String ex : i.examples) {
                examples.add(ex);
                exampleIntents.add(i);
            }
            for (String ex : i.screenExamples) {
                screens.add(ex);
                screenIntents.add(i);
            }
        }
        List<String> all = new ArrayList<>(examples);
        all.addAll(screens);
        float[][] vectors = encoder.embed(all);
        for (int k = 0; k < vectors.length; k++) {
            (k < examples.size() ? exampleVectors : screenVectors).add(unit(vectors[k]));
        }
    }

    /** Which encoder embeds: {@code onnx-runtime-int8}, {@code omni-cuda} or {@code omni-twin}. */
    public String encoderName() {
        return encoder.name();
    }

    /**
     * all-MiniLM-L6-v2 behind one small interface, so the responder runs on either encoder: langchain4j's quantised
     * model in ONNX Runtime (CPU, one text at a time) or the project's batched encoder ({@code gpu-kernels}).
     */
    interface SentenceEncoder {
        float[][] embed(List<String> texts);

        String name();

        static SentenceEncoder create(UnderstandingConfig.TextEncoderChoice choice) {
            boolean omni = choice == UnderstandingConfig.TextEncoderChoice.OMNI
                    || (choice == UnderstandingConfig.TextEncoderChoice.AUTO && io.omnistream.gpu.runtime.GpuRuntime.available()
                            && io.omnistream.gpu.encoders.text.MiniLmWeights.onClasspath());
            if (omni) {
                try {
                    io.omnistream.gpu.encoders.text.TextEncoder te =
                            io.omnistream.gpu.encoders.Encoders.miniLm(io.omnistream.gpu.encoders.text.MiniLmWeights.fromClasspath());
                    String name = te.onGpu() ? "omni-cuda" : "omni-twin";
                    return new SentenceEncoder() {
                        @Override
                        public float[][] embed(List<String> texts) {
                            return texts.isEmpty() ? new float[0][] : te.encode(texts);
                        }

                        @Override
                        public String name() {
                            return name;
                        }
                    };
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException("all-MiniLM-L6-v2 model file for the OMNI text encoder", e);
                }
            }
            EmbeddingModel model = new AllMiniLmL6V2QuantizedEmbeddingModel();
            return new SentenceEncoder() {
                @Override
                public float[][] embed(List<String> texts) {
                    float[][] out = new float[texts.size()][];
                    for (int k = 0; k < out.length; k++) {
                        out[k] = model.embed(texts.get(k)).content().vector();
                    }
                    return out;
                }

                @Override
                public String name() {
                    return "onnx-runtime-int8";
                }
            };
        }
    }

    public KnowledgeBase knowledgeBase() {
        return kb;
    }

    float[] embed(String text) {
        return unit(encoder.embed(List.of(text))[0]);
    }

    private static float[] unit(float[] v) {
        double n = 0;
        for (float x : v) {
            n += x * x;
        }
        float inv = (float) (1.0 / Math.max(1e-9, Math.sqrt(n)));
        for (int k = 0; k < v.length; k++) {
            v[k] *= inv;
        }
        return v;
    }

    /** Queries (transcripts, screen text) the encoder ran on since construction. */
    public long encodes() {
        return encodes;
    }

    /** Queries whose embedding was reused instead of encoded again. */
    public long reuses() {
        return reuses;
    }

    private float[] embedQuery(String text) {
        if (config.encodeNewTextOnly) {
            float[] v = recent.get(text);
            if (v != null) {
                reuses++;
                return v;
            }
        }
        encodes++;
        float[] v = embed(text);
        if (config.encodeNewTextOnly) {
            recent.put(text, v);
        }
        return v;
    }

    /** Picks and fills the answer for a turn; {@code screen} may be null. */
    public Answer answer(String transcript, ScreenText screen) {
        String said = transcript == null ? "" : transcript.trim();
        String shown = screen == null ? "" : String.join(" ", screen.getLines()).trim();
        if (shown.length() > 400) {
            shown = shown.substring(0, 400);
        }
        Map<String, Double> saidScore = said.isEmpty() ? Map.of() : bestPerIntent(embedQuery(said), exampleVectors, exampleIntents);
        Map<String, Double> shownScore = new HashMap<>();
        if (!shown.isEmpty()) {
            float[] q = embedQuery(shown);
            shownScore.putAll(bestPerIntent(q, screenVectors, screenIntents));
            bestPerIntent(q, exampleVectors, exampleIntents).forEach((k, v) -> shownScore.merge(k, v, Math::max));
        }
        Map<String, Double> combined = new HashMap<>();
        for (KnowledgeBase.Intent i : kb.intents) {
            Double a = saidScore.get(i.id);
            Double b = shownScore.get(i.id);
            double s;
            if (a != null && b != null) {
                // words dominate when they are clear; when ASR garbled them the screen still counts on its own
                s = Math.max(TRANSCRIPT_WEIGHT * a + (1 - TRANSCRIPT_WEIGHT) * b, SCREEN_ALONE_WEIGHT * b);
            } else if (a != null) {
                s = a;
            } else if (b != null) {
                s = SCREEN_ALONE_WEIGHT * b;
            } else {
                continue;
            }
            combined.put(i.id, s);
        }
        List<Map.Entry<String, Double>> ranking = new ArrayList<>(combined.entrySet());
        ranking.sort(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()));
        if (ranking.size() > config.respondTopK) {
            ranking = new ArrayList<>(ranking.subList(0, config.respondTopK));
        }
        if (ranking.isEmpty() || ranking.get(0).getValue() < config.respondMinScore) {
            double best = ranking.isEmpty() ? 0 : ranking.get(0).getValue();
            return new Answer(kb.fallback.id == null ? "fallback" : kb.fallback.id, kb.fallback.answer, best, ranking);
        }
        String id = ranking.get(0).getKey();
        KnowledgeBase.Intent intent = kb.intents.stream().filter(i -> i.id.equals(id)).findFirst().orElseThrow();
        return new Answer(id, fill(intent, slots(screen)), ranking.get(0).getValue(), ranking);
    }

    private static Map<String, Double> bestPerIntent(float[] q, List<float[]> vectors, List<KnowledgeBase.Intent> intents) {
        Map<String, Double> best = new HashMap<>();
        for (int k = 0; k < vectors.size(); k++) {
            float[] v = vectors.get(k);
            double dot = 0;
            for (int d = 0; d < v.length; d++) {
                dot += q[d] * v[d];
            }
            best.merge(intents.get(k).id, dot, Math::max);
        }
        return best;
    }

    /** Slot values from the screen: the first identifier of each kind. */
    static Map<String, String> slots(ScreenText screen) {
        Map<String, String> m = new HashMap<>();
        if (screen == null) {
            return m;
        }
        for (Identifier id : screen.getIdentifiers()) {
            String slot = slotName(id.getType());
            if (slot != null) {
                m.putIfAbsent(slot, id.getValue());
            }
        }
        return m;
    }

    private static String slotName(IdentifierType t) {
        switch (t) {
            case ERROR_CODE:
                return "errorCode";
            case ORDER_NUMBER:
                return "orderNumber";
            case URL:
                return "url";
            case EMAIL:
                return "email";
            default:
                return null;
        }
    }

    static String fill(KnowledgeBase.Intent intent, Map<String, String> slots) {
        if (!slots.keySet().containsAll(intent.slots())) {
            return intent.answerNoSlots;
        }
        String text = intent.answer;
        for (Map.Entry<String, String> e : slots.entrySet()) {
            text = text.replace("{" + e.getKey() + "}", e.getValue());
        }
        return text;
    }
}
