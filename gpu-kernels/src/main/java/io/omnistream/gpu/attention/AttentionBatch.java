package io.omnistream.gpu.attention;

import java.util.Arrays;

/**
 * The shape of one packed attention batch: many sessions' token sequences laid end to end (cu_seqlens style),
 * each made of up to four contiguous modality segments in {@link Modality} order (empty segments allowed), with
 * one gate mask per sequence. Tensors for it are {@code [totalTokens][heads][HEAD_DIM]}. Each sequence attends
 * only within itself; query token i may attend key token j of the same sequence iff the gate bit
 * (segment(i), segment(j)) is set.
 */
public final class AttentionBatch {

    public static final int HEAD_DIM = 64;

    private final int heads;
    private final int[] cuSeqlens;
    private final int[] segmentEnds;
    private final int[] gates;

    private AttentionBatch(int heads, int[] cuSeqlens, int[] segmentEnds, int[] gates) {
        this.heads = heads;
        this.cuSeqlens = cuSeqlens;
        this.segmentEnds = segmentEnds;
        this.gates = gates;
    }

    public static Builder builder(int heads) {
        return new Builder(heads);
    }

    /** Collects sequences; {@link #add} validates each so a bad one is rejected alone. */
    public static final class Builder {
        private final int heads;
        private int[] lengths = new int[64];
        private int[] gates = new int[16];
        private int n;

        private Builder(int heads) {
            if (heads <= 0) {
                throw new IllegalArgumentException("heads must be positive");
            }
            this.heads = heads;
        }

        /** Adds a sequence of {@code audio + lips + screen + text} tokens with gate mask {@code gate}. */
        public Builder add(int audio, int lips, int screen, int text, int gate) {
            if (audio < 0 || lips < 0 || screen < 0 || text < 0) {
                throw new IllegalArgumentException("negative segment length");
            }
            if ((gate & ~0xFFFF) != 0) {
                throw new IllegalArgumentException("gate has bits above 16: " + Integer.toHexString(gate));
            }
            if (lengths.length < (n + 1) * 4) {
                lengths = Arrays.copyOf(lengths, lengths.length * 2);
                gates = Arrays.copyOf(gates, gates.length * 2);
            }
            lengths[n * 4] = audio;
            lengths[n * 4 + 1] = lips;
            lengths[n * 4 + 2] = screen;
            lengths[n * 4 + 3] = text;
            gates[n] = gate;
            n++;
            return this;
        }

        public AttentionBatch build() {
            int[] cu = new int[n + 1];
            int[] ends = new int[n * 4];
            long total = 0;
            for (int s = 0; s < n; s++) {
                int acc = 0;
                for (int m = 0; m < 4; m++) {
                    acc += lengths[s * 4 + m];
                    ends[s * 4 + m] = acc;
                }
                total += acc;
                if (total * heads * HEAD_DIM > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("batch too large");
                }
                cu[s + 1] = (int) total;
            }
            return new AttentionBatch(heads, cu, ends, Arrays.copyOf(gates, n));
        }
    }

    public int heads() {
        return heads;
    }

    public int sequences() {
        return gates.length;
    }

    public int totalTokens() {
        return cuSeqlens[cuSeqlens.length - 1];
    }

    /** Floats of a q, k, v or output tensor of this batch. */
    public int tensorFloats() {
        return totalTokens() * heads * HEAD_DIM;
    }

    public int sequenceStart(int seq) {
        return cuSeqlens[seq];
    }

    public int sequenceLength(int seq) {
        return cuSeqlens[seq + 1] - cuSeqlens[seq];
    }

    public int gate(int seq) {
        return gates[seq];
    }

    /** Segment (modality index) of token {@code t} of sequence {@code seq}, {@code t} relative to its start. */
    public int segmentOf(int seq, int t) {
        for (int m = 0; m < 3; m++) {
            if (t < segmentEnds[seq * 4 + m]) {
                return m;
            }
        }
        return 3;
    }

    int[] cuSeqlens() {
        return cuSeqlens;
    }

    int[] segmentEnds() {
        return segmentEnds;
    }

    int[] gates() {
        return gates;
    }

    /** Fraction of (query, key) token pairs within sequences that the gates allow: the work actually needed. */
    public double density() {
        double allowed = 0;
        double all = 0;
        for (int s = 0; s < sequences(); s++) {
            int[] len = new int[4];
            int lo = 0;
            for (int m = 0; m < 4; m++) {
                len[m] = segmentEnds[s * 4 + m] - lo;
                lo = segmentEnds[s * 4 + m];
            }
            for (int a = 0; a < 4; a++) {
                for (int b = 0; b < 4; b++) {
                    double pairs = (double) len[a] * len[b];
                    all += pairs;
                    if (((gates[s] >> (a * 4 + b)) & 1) != 0) {
                        allowed += pairs;
                    }
                }
            }
        }
        return all == 0 ? 0 : allowed / all;
    }
}
