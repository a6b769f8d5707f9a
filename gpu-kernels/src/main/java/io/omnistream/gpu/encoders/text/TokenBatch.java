package io.omnistream.gpu.encoders.text;

import java.util.Arrays;

/**
 * Many sentences' token ids packed end to end with no padding: sentence {@code s} is {@code ids[cuSeqlens[s] ..
 * cuSeqlens[s+1])}, each starting with {@code [CLS]} and ending with {@code [SEP]}. This is the input of one
 * {@link TextEncoder} call: attention runs within each sentence only, so no compute is spent on padding.
 */
public record TokenBatch(int[] ids, int[] cuSeqlens) {
    public TokenBatch {
        if (cuSeqlens.length == 0 || cuSeqlens[0] != 0 || cuSeqlens[cuSeqlens.length - 1] != ids.length) {
            throw new IllegalArgumentException("cuSeqlens must run from 0 to ids.length (" + ids.length + "): "
                    + Arrays.toString(Arrays.copyOf(cuSeqlens, Math.min(8, cuSeqlens.length))));
        }
        for (int s = 0; s + 1 < cuSeqlens.length; s++) {
            int len = cuSeqlens[s + 1] - cuSeqlens[s];
            if (len < 1 || len > TextEncoder.MAX_TOKENS) {
                throw new IllegalArgumentException("sentence " + s + " has " + len + " tokens, allowed 1.." + TextEncoder.MAX_TOKENS);
            }
        }
        for (int id : ids) {
            if (id < 0) {
                throw new IllegalArgumentException("negative token id " + id);
            }
        }
    }

    /** Packs the given per-sentence id arrays. */
    public static TokenBatch of(int[]... sentences) {
        int[] cu = new int[sentences.length + 1];
        for (int s = 0; s < sentences.length; s++) {
            cu[s + 1] = cu[s] + sentences[s].length;
        }
        int[] ids = new int[cu[sentences.length]];
        for (int s = 0; s < sentences.length; s++) {
            System.arraycopy(sentences[s], 0, ids, cu[s], sentences[s].length);
        }
        return new TokenBatch(ids, cu);
    }

    public int sentences() {
        return cuSeqlens.length - 1;
    }

    public int totalTokens() {
        return ids.length;
    }

    public int start(int s) {
        return cuSeqlens[s];
    }

    public int length(int s) {
        return cuSeqlens[s + 1] - cuSeqlens[s];
    }

    /** The ids of sentence {@code s}. */
    public int[] sentence(int s) {
        return Arrays.copyOfRange(ids, cuSeqlens[s], cuSeqlens[s + 1]);
    }

    /** The longest sentence in tokens (0 for an empty batch). */
    public int maxLength() {
        int m = 0;
        for (int s = 0; s < sentences(); s++) {
            m = Math.max(m, length(s));
        }
        return m;
    }
}
