package io.omnistream.connectors.edge;

import io.omnistream.schemas.AgentResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The agent's voice for one session: AgentResponse audio (any rate) resampled to 48 kHz, cut into 10 ms frames and
 * held in a small jitter queue that the edge's audio clock drains one frame per 10 ms tick into the session's
 * {@code CustomAudioSource}. Duplicates (same responseId and seq, as at-least-once sinks produce) are dropped;
 * a barge-in or a cancelled response empties the queue at once, so at most the frame being pushed still plays.
 *
 * <p>A new answer <em>supersedes</em> the one still playing: its first chunk empties the queue, so the customer
 * hears the answer to what they just said, not the tail of the previous one (an agent never finishes an old
 * sentence before answering a new question). Later chunks of a superseded answer (its synthesis may still be
 * streaming) are dropped as stale. Answers are told apart by responseId, not by turn number, so a job restarted
 * without state (turn numbers starting again) is still heard.
 */
public final class AgentVoice {
    /** Output rate of the agent track. */
    public static final int RATE = 48_000;
    /** Samples per 10 ms frame at {@link #RATE}. */
    public static final int FRAME = 480;

    private final int jitterFrames;
    private final int maxQueued;
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private final Map<String, Boolean> seen = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> e) {
            return size() > 8192;
        }
    };
    private String currentResponse;
    private PcmResampler resampler;
    private int resamplerRate;
    private short[] carry = new short[0];
    private boolean playing;
    private boolean finalSeen;
    private long dropped;
    private String cancelledResponse;
    private final Map<String, Boolean> supersededIds = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> e) {
            return size() > 256;
        }
    };
    private long superseded;
    private long stale;

    public AgentVoice(int jitterFrames, int maxQueued) {
        this.jitterFrames = Math.max(1, jitterFrames);
        this.maxQueued = maxQueued;
    }

    /** What {@link #offer} did with a response chunk. */
    public enum Offer {
        /** Accepted (queued, or a cancellation that flushed the queue). */
        ACCEPTED,
        /** Same responseId and seq seen before. */
        DUPLICATE,
        /** Belongs to a cancelled response or to one superseded by a newer answer. */
        STALE
    }

    /**
     * Accepts one AgentResponse; returns false if it was a duplicate (already seen responseId/seq) or belongs to a
     * response that was cancelled or superseded.
     */
    public synchronized boolean offer(AgentResponse r) {
        return classify(r) == Offer.ACCEPTED;
    }

    /** Like {@link #offer} but says why a chunk was not played. */
    public synchronized Offer classify(AgentResponse r) {
        String key = r.getResponseId() + "#" + r.getSeq();
        if (seen.putIfAbsent(key, Boolean.TRUE) != null) {
            return Offer.DUPLICATE;
        }
        String rid = r.getResponseId().toString();
        if (supersededIds.containsKey(rid)) {
            stale++;
            return Offer.STALE;
        }
        if (r.getCancelled()) {
            cancelledResponse = rid;
            flush();
            return Offer.ACCEPTED;
        }
        if (rid.equals(cancelledResponse)) {
            stale++;
            return Offer.STALE; // late chunk of a cancelled answer
        }
        if (!rid.equals(currentResponse)) {
            if (currentResponse != null) {
                supersededIds.put(currentResponse, Boolean.TRUE);
                if (!queue.isEmpty() || carry.length > 0) {
                    superseded++;
                    flush();
                }
            }
            currentResponse = rid;
            carry = new short[0];
            resampler = null;
            finalSeen = false;
        }
        ByteBuffer audio = r.getAudio();
        if (audio != null && audio.remaining() >= 2 && r.getAudioSampleRate() > 0) {
            if (resampler == null || resamplerRate != r.getAudioSampleRate()) {
                resampler = new PcmResampler(r.getAudioSampleRate(), RATE);
                resamplerRate = r.getAudioSampleRate();
            }
            ByteBuffer le = audio.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            short[] in = new short[le.remaining() / 2];
            for (int i = 0; i < in.length; i++) {
                in[i] = le.getShort();
            }
            short[] out = resampler.process(in, 0, in.length);
            short[] all = new short[carry.length + out.length];
            System.arraycopy(carry, 0, all, 0, carry.length);
            System.arraycopy(out, 0, all, carry.length, out.length);
            int frames = all.length / FRAME;
            for (int f = 0; f < frames; f++) {
                enqueue(all, f * FRAME, FRAME);
            }
            carry = java.util.Arrays.copyOfRange(all, frames * FRAME, all.length);
        }
        if (r.getIsFinal()) {
            finalSeen = true;
            if (carry.length > 0) {
                enqueue(carry, 0, carry.length);
                carry = new short[0];
            }
        }
        return Offer.ACCEPTED;
    }

    private void enqueue(short[] s, int off, int len) {
        ByteBuffer b = ByteBuffer.allocate(FRAME * 2).order(ByteOrder.nativeOrder());
        for (int i = 0; i < len; i++) {
            b.putShort(s[off + i]);
        }
        if (queue.size() >= maxQueued) {
            queue.poll();
            dropped++;
        }
        queue.add(b.array());
    }

    /** Drops every queued frame (barge-in). */
    public synchronized void flush() {
        queue.clear();
        carry = new short[0];
        playing = false;
    }

    /** The next 10 ms frame to play, or null for silence (queue empty or still filling the jitter buffer). */
    public synchronized byte[] nextFrame() {
        if (!playing) {
            if (queue.size() >= jitterFrames || (finalSeen && !queue.isEmpty())) {
                playing = true;
            } else {
                return null;
            }
        }
        byte[] f = queue.poll();
        if (f == null) {
            playing = false;
        }
        return f;
    }

    public synchronized int queuedFrames() {
        return queue.size();
    }

    public synchronized long droppedFrames() {
        return dropped;
    }

    /** Answers cut short because a newer turn's answer started. */
    public synchronized long supersededAnswers() {
        return superseded;
    }

    /** Chunks dropped because their answer was cancelled or an older turn's. */
    public synchronized long staleChunks() {
        return stale;
    }
}
