package io.omnistream.gpu.router;

/** Pure-Java {@link TopKGate}: the specification of kernel {@code omni_topk_gate}. */
public final class TopKGateTwin implements TopKGate {

    @Override
    public void select(float[] scores, int nSeq, int k, int[] gatesOut) {
        TopKGate.check(scores, nSeq, k, gatesOut);
        for (int s = 0; s < nSeq; s++) {
            int mask = 0;
            for (int r = 0; r < Math.min(k, PAIRS); r++) {
                int best = -1;
                float bv = 0f;
                for (int i = 0; i < PAIRS; i++) {
                    float v = scores[s * PAIRS + i];
                    boolean ok = ((mask >> i) & 1) == 0 && !Float.isNaN(v) && v != Float.NEGATIVE_INFINITY;
                    if (ok && (best < 0 || v > bv)) {
                        best = i;
                        bv = v;
                    }
                }
                if (best < 0) {
                    break;
                }
                mask |= 1 << best;
            }
            gatesOut[s] = mask;
        }
    }
}
