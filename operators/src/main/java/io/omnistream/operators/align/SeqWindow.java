package io.omnistream.operators.align;

/**
 * Remembers which of the last 64 sequence numbers of a track were seen, to drop duplicates without a growing set.
 * A sequence number older than the window is reported as {@link Result#TOO_OLD}; the caller decides by its time.
 */
public class SeqWindow {
    public long highest = -1;
    public long mask;

    public enum Result { NEW, DUPLICATE, TOO_OLD }

    public SeqWindow() {}

    public Result add(long seq) {
        if (highest < 0 || seq > highest) {
            long shift = highest < 0 ? 64 : seq - highest;
            mask = shift >= 64 ? 1L : (mask << shift) | 1L;
            highest = seq;
            return Result.NEW;
        }
        long back = highest - seq;
        if (back >= 64) {
            return Result.TOO_OLD;
        }
        long bit = 1L << back;
        if ((mask & bit) != 0) {
            return Result.DUPLICATE;
        }
        mask |= bit;
        return Result.NEW;
    }
}
