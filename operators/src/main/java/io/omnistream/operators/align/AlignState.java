package io.omnistream.operators.align;

import io.omnistream.schemas.MediaKind;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Everything the aligner keeps for one session, in one keyed value (read and written once per element on the
 * heap state backend).
 */
public class AlignState {
    /** Start of the session's first tick (a whole number of ticks since the epoch): tick k covers [origin + k·tick, origin + (k+1)·tick). */
    public long originMicros;
    /** Index of the next tick to emit. */
    public long nextTick;
    /** Highest capture start of the session's audio seen so far (the session's own watermark on the fast path). */
    public long maxAudioStartMicros = Long.MIN_VALUE;
    /** Highest capture end seen, of any track. */
    public long lastDataMicros;
    /** Pending audio by capture start (micros on the session clock), PCM16 LE. */
    public TreeMap<Long, byte[]> audio = new TreeMap<>();
    /** Edge arrival time of each pending audio chunk, by the same key. */
    public TreeMap<Long, Long> audioArrival = new TreeMap<>();
    /** Camera pictures not yet superseded, oldest first; the first is the one shown now. */
    public List<Picture> camera = new ArrayList<>();
    public List<Picture> screen = new ArrayList<>();
    /** Seq of the screen picture put in the previous frame, for {@code screenChanged}. */
    public long lastScreenSeqEmitted = -1;
    public boolean cameraSeen;
    public boolean screenSeen;
    public boolean cameraEnded;
    public boolean screenEnded;
    public SeqWindow audioSeqs = new SeqWindow();
    public SeqWindow cameraSeqs = new SeqWindow();
    public SeqWindow screenSeqs = new SeqWindow();
    public ClockOffsetEstimator offset = new ClockOffsetEstimator();
    /** Counts since the previous frame, reported in it. */
    public int lateSinceFrame;
    public int duplicatesSinceFrame;
    /** Processing time of the last input, for abandonment. */
    public long lastInputWallMillis;

    public AlignState() {}

    SeqWindow seqs(MediaKind kind) {
        switch (kind) {
            case AUDIO: return audioSeqs;
            case CAMERA: return cameraSeqs;
            default: return screenSeqs;
        }
    }

    List<Picture> pictures(MediaKind kind) {
        return kind == MediaKind.CAMERA ? camera : screen;
    }
}
