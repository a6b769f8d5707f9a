package io.omnistream.connectors.edge;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge's 10 ms media clock: one dedicated thread that ticks every session's agent audio on a grid of absolute
 * deadlines ({@code origin + n × period}), so that the agent's RTP packets leave the edge as evenly as the machine
 * allows. The browser's jitter buffer sizes itself to the jitter of this clock; on a loaded machine a shared
 * scheduled executor woke late and irregularly and the browser held the agent's voice for half a second.
 *
 * <p>Scheduling: the thread parks until the next deadline ({@link LockSupport#parkNanos}); a pass that wakes late
 * runs the ticks it owes back to back (catch-up, so a session still sends 100 frames a second), up to
 * {@code maxCatchUpTicks}; ticks older than that are skipped and counted, and the grid moves on (after a long stall a
 * burst of stale audio would only grow the far end's buffer). Lateness of every pass, late ticks (run more than one
 * period after their deadline) and skipped ticks are counted.
 *
 * <p>Sessions are independent: each {@link Participant} keeps its own count of ticks served; every pass gives each
 * participant one tick per round, round after round, so a session with a backlog (or a slow one) cannot make another
 * wait for more than one of its ticks; a participant that is busy ({@link Participant#tick()} returns false, e.g.
 * its lock is held by renegotiation) is retried on the next pass and catches up then, without holding up the
 * others; one that throws is counted and keeps its place.
 *
 * <p>Started with {@code realtime}, the thread asks the operating system for real-time round-robin scheduling at a
 * low real-time priority (as audio servers do), else for a raised nice value, else runs at the default priority
 * ({@link OsScheduling}); {@link #osPriority()} says which it got. Java's own thread priorities have no effect on
 * Linux without JVM flags. The edge leaves it off by default ({@code EdgeConfig.realtimeMediaThreads}): threads the
 * clock thread creates (e.g. the JDK's process reaper) inherit the real-time class, and with it on the edge's
 * ITCases failed when run as one suite, for reasons not yet understood.
 */
public final class AudioClock implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AudioClock.class);

    /** One session's work per tick. */
    public interface Participant {
        /**
         * Runs one tick. Returns false when it cannot run now without blocking (it is retried on the next pass and
         * the tick is still owed); throwing counts as an error and the tick as served.
         */
        boolean tick();
    }

    /** What the clock thread got from the operating system. */
    public enum OsPriority {
        /** Not started, or not asked yet. */
        UNKNOWN,
        /** Default scheduling (the requests were refused). */
        DEFAULT,
        /** A raised nice value. */
        NICE,
        /** Real-time round-robin scheduling. */
        REALTIME
    }

    private static final class Slot {
        final Participant participant;
        long served;
        boolean busy;

        Slot(Participant p, long served) {
            this.participant = p;
            this.served = served;
        }
    }

    private final long periodNanos;
    private final int maxCatchUpTicks;
    private final LongSupplier nanoTime;
    private final LongConsumer latenessNanos;
    private final List<Slot> slots = new CopyOnWriteArrayList<>();
    private final Object passLock = new Object();
    private long due; // ticks whose deadline has passed, under passLock
    private long nextDeadline; // under passLock
    private boolean started; // under passLock

    private final AtomicLong passes = new AtomicLong();
    private final AtomicLong ticks = new AtomicLong();
    private final AtomicLong lateTicks = new AtomicLong();
    private final AtomicLong skippedTicks = new AtomicLong();
    private final AtomicLong busyRetries = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();

    private volatile Thread thread;
    private volatile boolean running;
    private volatile OsPriority osPriority = OsPriority.UNKNOWN;

    /**
     * @param period tick period (10 ms for WebRTC audio frames)
     * @param maxCatchUpTicks ticks run back to back at most after a late wake-up; older ones are skipped
     * @param nanoTime the time source ({@link System#nanoTime} in production)
     * @param latenessNanos told how late each pass started after its first owed deadline (may be a no-op)
     */
    public AudioClock(Duration period, int maxCatchUpTicks, LongSupplier nanoTime, LongConsumer latenessNanos) {
        if (period.isNegative() || period.isZero() || maxCatchUpTicks < 1) {
            throw new IllegalArgumentException("period must be positive and maxCatchUpTicks at least 1");
        }
        this.periodNanos = period.toNanos();
        this.maxCatchUpTicks = maxCatchUpTicks;
        this.nanoTime = nanoTime;
        this.latenessNanos = latenessNanos;
    }

    /** Adds a participant; its first tick is the next deadline's. */
    public void add(Participant p) {
        synchronized (passLock) {
            slots.add(new Slot(p, due));
        }
    }

    /** Removes a participant; takes effect before the next pass at the latest. */
    public void remove(Participant p) {
        slots.removeIf(s -> s.participant == p);
    }

    /**
     * Runs every tick that is due at the current time and returns the absolute deadline ({@code nanoTime} units) of
     * the next one. The first call starts the grid: its deadline is one period later. Called by the clock thread;
     * tests call it directly with a controlled time source.
     */
    public long pass() {
        synchronized (passLock) {
            long now = nanoTime.getAsLong();
            if (!started) {
                started = true;
                nextDeadline = now + periodNanos;
                return nextDeadline;
            }
            if (now < nextDeadline) {
                return nextDeadline; // early wake-up; a busy participant is retried at the next deadline
            }
            long owed = (now - nextDeadline) / periodNanos + 1;
            latenessNanos.accept(now - nextDeadline);
            passes.incrementAndGet();
            long skip = Math.max(0, owed - maxCatchUpTicks);
            if (skip > 0) {
                skippedTicks.addAndGet(skip);
                for (Slot s : slots) {
                    s.served = Math.max(s.served, due + skip); // the skipped ticks are skipped for everyone
                }
            }
            // a tick is late when it runs more than one period after its deadline: owed ticks except the newest
            lateTicks.addAndGet(owed - skip - 1);
            due += owed;
            nextDeadline += owed * periodNanos;
            runOwed();
            return nextDeadline;
        }
    }

    /** Round-robin: one tick per participant per round, until every participant is served or busy. */
    private void runOwed() {
        for (Slot s : slots) {
            s.busy = false;
            if (s.served < due - maxCatchUpTicks) { // fell behind while busy: bound its burst as well
                skippedTicks.addAndGet(due - maxCatchUpTicks - s.served);
                s.served = due - maxCatchUpTicks;
            }
        }
        boolean any = true;
        while (any) {
            any = false;
            for (Slot s : slots) {
                if (s.busy || s.served >= due) {
                    continue;
                }
                boolean ran;
                try {
                    ran = s.participant.tick();
                } catch (RuntimeException e) {
                    errors.incrementAndGet();
                    LOG.debug("audio clock tick failed: {}", e.toString());
                    ran = true;
                }
                if (ran) {
                    s.served++;
                    ticks.incrementAndGet();
                    any = true;
                } else {
                    s.busy = true;
                    busyRetries.incrementAndGet();
                }
            }
        }
    }

    /** Starts the clock thread at the default scheduling. */
    public void start(String threadName) {
        start(threadName, false);
    }

    /** Starts the clock thread; {@code realtime} = ask the OS for real-time scheduling ({@link OsScheduling}). */
    public synchronized void start(String threadName, boolean realtime) {
        if (thread != null) {
            return;
        }
        running = true;
        Thread t = new Thread(() -> run(realtime), threadName);
        t.setDaemon(true);
        t.setPriority(Thread.MAX_PRIORITY);
        thread = t;
        t.start();
    }

    private void run(boolean realtime) {
        osPriority = realtime ? OsScheduling.raiseCurrentThread() : OsPriority.DEFAULT;
        LOG.info("edge audio clock: {} scheduling", osPriority);
        while (running) {
            long deadline = pass();
            // park to the absolute deadline; parkNanos may return early (spurious wake-up, unpark on close)
            for (long left = deadline - nanoTime.getAsLong(); left > 0 && running;
                    left = deadline - nanoTime.getAsLong()) {
                LockSupport.parkNanos(this, left);
            }
        }
    }

    /** Which scheduling the clock thread got from the operating system. */
    public OsPriority osPriority() {
        return osPriority;
    }

    /** Passes that ran at least one tick. */
    public long passes() {
        return passes.get();
    }

    /** Ticks run, summed over participants. */
    public long ticks() {
        return ticks.get();
    }

    /** Grid ticks run more than one period after their deadline (the clock was overrun). */
    public long lateTicks() {
        return lateTicks.get();
    }

    /**
     * Ticks skipped: grid ticks the clock missed beyond {@code maxCatchUpTicks} (counted once, for every
     * participant), plus ticks one busy participant fell behind beyond that bound.
     */
    public long skippedTicks() {
        return skippedTicks.get();
    }

    /** Ticks a participant could not run at once (busy) and owed to a later pass. */
    public long busyRetries() {
        return busyRetries.get();
    }

    /** Ticks that threw. */
    public long errors() {
        return errors.get();
    }

    /** Participants registered. */
    public int participants() {
        return slots.size();
    }

    /** Stops the clock thread. */
    @Override
    public void close() {
        running = false;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
