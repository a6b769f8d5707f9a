package io.omnistream.gpu.attention;

/**
 * The modality segments of a session's token sequence, in the order they are packed. Gates are 16-bit masks
 * with bit {@code query.ordinal()*4 + key.ordinal()} set when queries of one modality may attend keys of another.
 */
public enum Modality {
    AUDIO, LIPS, SCREEN, TEXT;

    public static final int COUNT = 4;
    public static final int ALL_GATES = 0xFFFF;
    public static final int NO_GATES = 0;

    /** The gate bit letting {@code query} tokens attend {@code key} tokens. */
    public static int gate(Modality query, Modality key) {
        return 1 << (query.ordinal() * COUNT + key.ordinal());
    }

    /** Gates of self-attention within each modality only. */
    public static int diagonalGates() {
        int g = 0;
        for (Modality m : values()) {
            g |= gate(m, m);
        }
        return g;
    }
}
