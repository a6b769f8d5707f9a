package io.omnistream.operators.gpu;

import io.omnistream.gpu.Kernels;
import io.omnistream.gpu.attention.AttentionBatch;
import io.omnistream.gpu.attention.GatedAttention;
import io.omnistream.gpu.router.TopKGate;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link BatchKernel} for the sparse cross-modal attention stage: each session's active modality pairs come from the
 * modality router's decision ({@link AttentionRequest#gates}) or from the top-k gate over its pair scores, then one
 * gated-attention launch covers every session of the batch (packed, variable lengths). Sessions are batched by
 * modality combination and head count, as the article's engine does.
 */
public final class GatedAttentionKernel implements BatchKernel<AttentionRequest, AttentionResult> {
    private static final long serialVersionUID = 1L;

    private transient TopKGate router;
    private transient GatedAttention attention;

    @Override
    public void open() {
        router = Kernels.topKGate();
        attention = Kernels.gatedAttention();
    }

    @Override
    public boolean onGpu() {
        return attention != null && attention.onGpu();
    }

    @Override
    public int group(AttentionRequest r) {
        return r.heads * 16 + (r.segmentLengths == null ? 0 : r.modalityMask());
    }

    @Override
    public void validate(AttentionRequest r) {
        boolean routed = r.gates >= 0;
        if (r.heads <= 0 || r.segmentLengths == null || r.segmentLengths.length != 4
                || (!routed && (r.pairScores == null || r.pairScores.length != TopKGate.PAIRS || r.topK < 0))
                || (routed && (r.gates & ~0xFFFF) != 0)) {
            throw new IllegalArgumentException("malformed attention request of session " + r.sessionId);
        }
        for (int l : r.segmentLengths) {
            if (l < 0) {
                throw new IllegalArgumentException("negative segment length in session " + r.sessionId);
            }
        }
        long n = (long) r.tokens() * r.heads * AttentionBatch.HEAD_DIM;
        if (r.q == null || r.k == null || r.v == null || r.q.length != n || r.k.length != n || r.v.length != n) {
            throw new IllegalArgumentException("q/k/v of session " + r.sessionId + " must hold " + n + " values");
        }
    }

    @Override
    public List<AttentionResult> run(int group, List<AttentionRequest> batch) {
        int nSeq = batch.size();
        float[] scores = new float[nSeq * TopKGate.PAIRS];
        int[] gates = new int[nSeq];
        // k may differ per session: run the router per distinct k (usually one); routed requests bring their gates
        java.util.Map<Integer, List<Integer>> byK = new java.util.TreeMap<>();
        for (int s = 0; s < nSeq; s++) {
            AttentionRequest r = batch.get(s);
            if (r.gates >= 0) {
                gates[s] = r.gates;
                continue;
            }
            System.arraycopy(r.pairScores, 0, scores, s * TopKGate.PAIRS, TopKGate.PAIRS);
            byK.computeIfAbsent(r.topK, x -> new ArrayList<>()).add(s);
        }
        for (var e : byK.entrySet()) {
            List<Integer> idx = e.getValue();
            float[] sc = new float[idx.size() * TopKGate.PAIRS];
            for (int i = 0; i < idx.size(); i++) {
                System.arraycopy(scores, idx.get(i) * TopKGate.PAIRS, sc, i * TopKGate.PAIRS, TopKGate.PAIRS);
            }
            int[] g = new int[idx.size()];
            router.select(sc, idx.size(), e.getKey(), g);
            for (int i = 0; i < idx.size(); i++) {
                gates[idx.get(i)] = g[i];
            }
        }
        int heads = batch.get(0).heads;
        AttentionBatch.Builder b = AttentionBatch.builder(heads);
        for (int s = 0; s < nSeq; s++) {
            int[] l = batch.get(s).segmentLengths;
            b.add(l[0], l[1], l[2], l[3], gates[s]);
        }
        AttentionBatch ab = b.build();
        int n = ab.tensorFloats();
        float[] q = new float[n];
        float[] k = new float[n];
        float[] v = new float[n];
        int at = 0;
        for (AttentionRequest r : batch) {
            System.arraycopy(r.q, 0, q, at, r.q.length);
            System.arraycopy(r.k, 0, k, at, r.k.length);
            System.arraycopy(r.v, 0, v, at, r.v.length);
            at += r.q.length;
        }
        float[] o = new float[n];
        attention.compute(ab, q, k, v, o);
        List<AttentionResult> out = new ArrayList<>(nSeq);
        at = 0;
        for (int s = 0; s < nSeq; s++) {
            AttentionRequest r = batch.get(s);
            AttentionResult res = new AttentionResult();
            res.sessionId = r.sessionId;
            res.timeMicros = r.timeMicros;
            res.gate = gates[s];
            res.out = java.util.Arrays.copyOfRange(o, at, at + r.q.length);
            res.gpu = attention.onGpu();
            res.heads = r.heads;
            res.segmentLengths = r.segmentLengths.clone();
            res.windowStartTick = r.windowStartTick;
            res.ticks = r.ticks;
            out.add(res);
            at += r.q.length;
        }
        return out;
    }

    @Override
    public void close() {
        if (attention != null) {
            attention.close();
        }
        if (router != null) {
            router.close();
        }
    }
}
