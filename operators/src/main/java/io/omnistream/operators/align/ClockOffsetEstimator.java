package io.omnistream.operators.align;

/**
 * Estimates a constant offset between a session's video clock and its audio clock from the data alone.
 *
 * <p>Both tracks reach the edge over the same connection, so the smallest observed delay (arrival minus capture)
 * is nearly the same for both; a constant clock offset shows up as a difference between the two minimum delays,
 * the way NTP estimates clock offsets. Minimums are kept over a sliding window of two buckets so the estimate
 * follows a change of offset. Audio delay is measured from the chunk's end, when the edge had all of it.
 *
 * <p>Positive offset: the video clock is ahead of the audio clock; corrected video time = capture − offset.
 */
public class ClockOffsetEstimator {
    public long bucketStartMicros = Long.MIN_VALUE;
    public long audioMinCurrent = Long.MAX_VALUE;
    public long audioMinPrevious = Long.MAX_VALUE;
    public long videoMinCurrent = Long.MAX_VALUE;
    public long videoMinPrevious = Long.MAX_VALUE;
    public int audioSamples;
    public int videoSamples;

    public ClockOffsetEstimator() {}

    public void observeAudio(long captureEndMicros, long arrivalMicros, long bucketMicros) {
        roll(captureEndMicros, bucketMicros);
        audioMinCurrent = Math.min(audioMinCurrent, arrivalMicros - captureEndMicros);
        audioSamples++;
    }

    public void observeVideo(long captureMicros, long arrivalMicros, long bucketMicros) {
        roll(captureMicros, bucketMicros);
        videoMinCurrent = Math.min(videoMinCurrent, arrivalMicros - captureMicros);
        videoSamples++;
    }

    /** The trusted offset in micros, or 0 while there is too little data or the offset is below {@code minCorrection}. */
    public long offsetMicros(int minSamples, long minCorrectionMicros) {
        if (audioSamples < minSamples || videoSamples < minSamples) {
            return 0;
        }
        long audioMin = Math.min(audioMinCurrent, audioMinPrevious);
        long videoMin = Math.min(videoMinCurrent, videoMinPrevious);
        long offset = audioMin - videoMin;
        return Math.abs(offset) < minCorrectionMicros ? 0 : offset;
    }

    private void roll(long timeMicros, long bucketMicros) {
        if (bucketStartMicros == Long.MIN_VALUE) {
            bucketStartMicros = timeMicros;
        } else if (timeMicros - bucketStartMicros >= bucketMicros) {
            audioMinPrevious = audioMinCurrent;
            videoMinPrevious = videoMinCurrent;
            audioMinCurrent = Long.MAX_VALUE;
            videoMinCurrent = Long.MAX_VALUE;
            bucketStartMicros = timeMicros;
        }
    }
}
