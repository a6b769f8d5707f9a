package io.omnistream.operators.tts;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One answer being synthesized: the espeak-ng thread appends fixed-size PCM chunks, the operator
 * takes them on its own thread. Cancelling stops the synthesis at the next buffer.
 */
public final class SynthesisJob {
    final String text;
    final String voice;
    final int rateWpm;
    final int outputRate;
    private final int chunkSamples;
    private final ConcurrentLinkedQueue<short[]> chunks = new ConcurrentLinkedQueue<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private short[] partial;
    private int partialLen;
    private volatile boolean cancelled;
    private volatile boolean done;
    private volatile RuntimeException error;

    SynthesisJob(String text, String voice, int rateWpm, int outputRate, int chunkSamples) {
        this.text = text;
        this.voice = voice;
        this.rateWpm = rateWpm;
        this.outputRate = outputRate;
        this.chunkSamples = chunkSamples;
        this.partial = new short[chunkSamples];
    }

    public int outputRate() {
        return outputRate;
    }

    void addSamples(short[] s, int n) {
        int i = 0;
        boolean added = false;
        while (i < n) {
            int take = Math.min(n - i, chunkSamples - partialLen);
            System.arraycopy(s, i, partial, partialLen, take);
            partialLen += take;
            i += take;
            if (partialLen == chunkSamples) {
                chunks.add(partial);
                partial = new short[chunkSamples];
                partialLen = 0;
                added = true;
            }
        }
        if (added) {
            signal();
        }
    }

    void finish(RuntimeException failure) {
        if (partialLen > 0 && !cancelled) {
            short[] last = new short[chunkSamples]; // padded with silence: every chunk has the same length
            System.arraycopy(partial, 0, last, 0, partialLen);
            chunks.add(last);
            partialLen = 0;
        }
        error = failure;
        done = true;
        signal();
    }

    private void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The next chunk if one is ready, else null. */
    public short[] poll() {
        return chunks.poll();
    }

    /** Waits up to the timeout for the next chunk; null if none came (or the job ended). */
    public short[] poll(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        lock.lock();
        try {
            while (true) {
                short[] c = chunks.poll();
                if (c != null || done) {
                    return c == null ? chunks.poll() : c;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    /** True when synthesis ended and every chunk was taken. */
    public boolean exhausted() {
        return done && chunks.isEmpty();
    }

    public boolean isDone() {
        return done;
    }

    public RuntimeException error() {
        return error;
    }

    public void cancel() {
        cancelled = true;
        chunks.clear();
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
