package io.omnistream.operators.fusion;

import io.omnistream.operators.perception.PerceptionConfig;

/**
 * Early fusion of the strongly coupled modalities (lips and speech) for one tick: keeps the sliding
 * windows in {@link FusionState}, computes the lag-compensated correlation between lip openness and
 * the audio envelope (lags ±{@code maxLagMicros}), and turns VAD, energy and lip evidence into
 * P(on-camera customer speaking) and a background-speech flag. Pure Java, no model: the whole
 * decision logic is unit-testable.
 */
public final class EarlyFusion {
    private final PerceptionConfig config;

    public EarlyFusion(PerceptionConfig config) {
        this.config = config;
    }

    /**
     * Per-tick inputs; {@code newPicture} says whether {@code motion}/{@code openness} come from a
     * camera picture that arrived with this tick.
     */
    public void fuse(FusionState st, FusedFrame out, boolean faceUsable, boolean newPicture, float motion, float openness) {
        long tick = Math.max(1, out.tickMicros());
        int n = (int) Math.max(8, (config.correlationWindowMicros + tick - 1) / tick);
        if (st.audioEnv == null || st.audioEnv.length != n) {
            st.audioEnv = new float[n];
            st.lipOpen = new float[n];
            st.lipMotion = new float[n];
            st.usable = new byte[n];
            st.pos = 0;
            st.count = 0;
        }
        float env = Math.max(0f, out.energyDb - config.silenceDb + 20f); // dB above (silence - 20), floor 0
        if (faceUsable) {
            if (newPicture) {
                st.lastOpenness = openness;
                st.openBaseline = Float.isNaN(st.openBaseline) ? openness : Math.min(openness, st.openBaseline + config.lipsBaselineRise);
            }
        }
        int p = st.pos;
        st.audioEnv[p] = env;
        st.lipOpen[p] = faceUsable ? st.lastOpenness : 0f;
        st.lipMotion[p] = faceUsable && newPicture ? motion : -1f;
        st.usable[p] = (byte) (faceUsable ? 1 : 0);
        st.pos = (p + 1) % n;
        st.count = Math.min(n, st.count + 1);

        float peak = 0f;
        for (int k = 1; k <= st.count; k++) {
            peak = Math.max(peak, st.audioEnv[(st.pos - k + n) % n]);
        }
        out.audioDropped = out.energyDb < config.silenceDb || (peak >= config.dropDb && peak - env >= config.dropDb);

        out.faceUsable = faceUsable;
        out.lipOpenness = faceUsable ? st.lastOpenness : 0f;
        out.lipOpenDelta = faceUsable && !Float.isNaN(st.openBaseline) ? Math.max(0f, st.lastOpenness - st.openBaseline) : 0f;
        out.lipMotion = faceUsable ? maxMotion(st, n, 1) : 0f;
        int activityTicks = (int) Math.max(1, 240_000 / tick);
        int stillTicks = (int) Math.max(1, 100_000 / tick);
        float recent = faceUsable ? maxMotion(st, n, activityTicks) : 0f;
        out.lipActivity = clamp01((recent - config.lipMotionThreshold) / (2f * config.lipMotionThreshold) + 0.5f * (recent >= config.lipMotionThreshold ? 1 : 0));
        // closed = back at the session's closed-lips baseline now, or still and nearly closed
        out.lipsClosed = faceUsable && (out.lipOpenDelta < config.lipsClosedOpenness
                || maxMotion(st, n, stillTicks) < config.lipMotionThreshold && out.lipOpenDelta < 2 * config.lipsClosedOpenness);
        correlate(st, n, tick, out);

        float audio = out.audioProbability;
        if (!faceUsable) {
            out.speakingProbability = audio;
            out.backgroundSpeech = false;
            return;
        }
        float corrEvidence = out.correlationCoverage >= config.minCorrelationCoverage
                ? clamp01((out.avCorrelation - 0.1f) / Math.max(0.01f, config.correlationSpeakerThreshold - 0.1f))
                : 0f;
        // lips at rest (closed and still) are evidence against speaking now; closed but just moving (a bilabial, the
        // closing itself) still counts as activity; the correlation only vouches for the current tick while they are open
        boolean atRest = out.lipsClosed && maxMotion(st, n, stillTicks) < config.lipMotionThreshold;
        float lipEvidence = atRest ? 0f : Math.max(out.lipActivity, out.lipsClosed ? 0f : corrEvidence);
        out.speakingProbability = audio * (0.15f + 0.85f * lipEvidence);
        out.backgroundSpeech = audio >= 0.5f && lipEvidence < 0.3f;
    }

    private static float maxMotion(FusionState st, int n, int ticks) {
        float m = 0f;
        for (int k = 1; k <= Math.min(ticks, st.count); k++) {
            float v = st.lipMotion[(st.pos - k + n) % n];
            if (v > m) {
                m = v;
            }
        }
        return m;
    }

    /** Pearson correlation of audio[t] with lip[t + lag] over usable ticks, best lag within ±maxLag. */
    private void correlate(FusionState st, int n, long tick, FusedFrame out) {
        int usable = 0;
        for (int k = 0; k < st.count; k++) {
            usable += st.usable[k];
        }
        out.correlationCoverage = (float) usable / n;
        int maxLag = (int) (config.maxLagMicros / tick);
        float best = 0f;
        int bestLag = 0;
        if (usable >= 8) {
            for (int lag = -maxLag; lag <= maxLag; lag++) {
                float c = pearson(st, n, lag);
                if (c > best) {
                    best = c;
                    bestLag = lag;
                }
            }
        }
        out.avCorrelation = best;
        out.avLagMicros = best > 0f ? bestLag * tick : 0L;
    }

    private static float pearson(FusionState st, int n, int lag) {
        int start = st.pos - st.count; // oldest, may be negative (mod n)
        double sa = 0, sl = 0, saa = 0, sll = 0, sal = 0;
        int m = 0;
        for (int k = Math.max(0, -lag); k < st.count - Math.max(0, lag); k++) {
            int ia = ((start + k) % n + n) % n;
            int il = ((start + k + lag) % n + n) % n;
            if (st.usable[il] == 0) {
                continue;
            }
            double a = st.audioEnv[ia];
            double l = st.lipOpen[il];
            sa += a;
            sl += l;
            saa += a * a;
            sll += l * l;
            sal += a * l;
            m++;
        }
        if (m < 8) {
            return 0f;
        }
        double va = saa - sa * sa / m;
        double vl = sll - sl * sl / m;
        if (va / m <= 1e-4 || vl / m <= 1e-4) { // flat signal (e.g. a still face): no evidence
            return 0f;
        }
        return (float) ((sal - sa * sl / m) / Math.sqrt(va * vl));
    }

    private static float clamp01(float v) {
        return Float.isNaN(v) ? 0f : Math.max(0f, Math.min(1f, v));
    }
}
