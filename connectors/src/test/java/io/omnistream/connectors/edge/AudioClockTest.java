package io.omnistream.connectors.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The clock's scheduling rules, driven by a hand-moved time source: which ticks run on each pass, which deadline
 * comes next, what is counted. No wall-clock timing is asserted.
 */
class AudioClockTest {
    private static final long MS = 1_000_000L;

    /** A session's tick that records the clock time of each call; can be made busy or failing. */
    private static final class Session implements AudioClock.Participant {
        final AtomicLong time;
        final List<Long> calls = new ArrayList<>();
        boolean busy;
        boolean failing;

        Session(AtomicLong time) {
            this.time = time;
        }

        @Override
        public boolean tick() {
            if (busy) {
                return false;
            }
            calls.add(time.get());
            if (failing) {
                throw new IllegalStateException("native push failed");
            }
            return true;
        }
    }

    private final AtomicLong now = new AtomicLong(1_000 * MS);
    private final List<Long> lateness = new ArrayList<>();
    private final AudioClock clock = new AudioClock(Duration.ofMillis(10), 5, now::get, lateness::add);

    @Test
    void deadlinesStayOnTheAbsoluteGridWhenAPassWakesLate() {
        Session s = new Session(now);
        clock.add(s);
        long first = clock.pass();
        assertThat(first).isEqualTo(1_010 * MS);
        now.set(1_010 * MS + 700_000); // woke 0.7 ms late
        assertThat(clock.pass()).isEqualTo(1_020 * MS); // not 1020.7: lateness does not accumulate
        now.set(1_020 * MS + 9 * MS); // 9 ms late, still within the period
        assertThat(clock.pass()).isEqualTo(1_030 * MS);
        assertThat(s.calls).hasSize(2);
        assertThat(clock.lateTicks()).isZero();
        assertThat(lateness).containsExactly(700_000L, 9 * MS);
    }

    @Test
    void aLatePassCatchesUpTheTicksItOwesAndCountsThemAsLate() {
        Session s = new Session(now);
        clock.add(s);
        clock.pass();
        now.set(1_010 * MS + 25 * MS); // deadlines 1010, 1020, 1030 have passed
        assertThat(clock.pass()).isEqualTo(1_040 * MS);
        assertThat(s.calls).hasSize(3);
        assertThat(clock.lateTicks()).isEqualTo(2); // 1010 and 1020 ran more than one period late
        assertThat(clock.skippedTicks()).isZero();
    }

    @Test
    void aStallLongerThanTheCatchUpLimitSkipsTheOldestTicksAndMovesTheGridOn() {
        Session s = new Session(now);
        clock.add(s);
        clock.pass();
        now.set(1_010 * MS + 95 * MS); // 10 deadlines passed, catch-up limit 5
        assertThat(clock.pass()).isEqualTo(1_110 * MS);
        assertThat(s.calls).hasSize(5);
        assertThat(clock.skippedTicks()).isEqualTo(5);
        assertThat(clock.lateTicks()).isEqualTo(4);
        now.set(1_110 * MS);
        clock.pass();
        assertThat(s.calls).hasSize(6); // back to one tick per deadline
    }

    @Test
    void aBusySessionDoesNotHoldUpTheOthersAndCatchesUpOnTheNextPass() {
        Session busy = new Session(now);
        Session other = new Session(now);
        clock.add(busy);
        clock.add(other);
        clock.pass();
        busy.busy = true;
        now.set(1_010 * MS);
        clock.pass();
        assertThat(other.calls).hasSize(1);
        assertThat(busy.calls).isEmpty();
        assertThat(clock.busyRetries()).isEqualTo(1);
        busy.busy = false;
        now.set(1_020 * MS);
        clock.pass();
        assertThat(busy.calls).hasSize(2); // the owed tick and the current one
        assertThat(other.calls).hasSize(2);
    }

    @Test
    void aSessionThatStaysBusyFallsBehindByAtMostTheCatchUpLimit() {
        Session busy = new Session(now);
        clock.add(busy);
        clock.pass();
        busy.busy = true;
        for (int i = 1; i <= 20; i++) {
            now.set(1_000 * MS + i * 10 * MS);
            clock.pass();
        }
        busy.busy = false;
        now.set(1_000 * MS + 21 * 10 * MS);
        clock.pass();
        assertThat(busy.calls).hasSize(5);
        assertThat(clock.skippedTicks()).isEqualTo(16);
    }

    @Test
    void aFailingSessionIsCountedAndTheOthersStillTick() {
        Session failing = new Session(now);
        failing.failing = true;
        Session other = new Session(now);
        clock.add(failing);
        clock.add(other);
        clock.pass();
        now.set(1_030 * MS);
        clock.pass();
        assertThat(failing.calls).hasSize(3);
        assertThat(other.calls).hasSize(3);
        assertThat(clock.errors()).isEqualTo(3);
        assertThat(clock.ticks()).isEqualTo(6);
    }

    @Test
    void catchUpTicksGoRoundRobinSoEverySessionGetsItsNewestTickBeforeAnyBacklogIsFinished() {
        List<String> order = new ArrayList<>();
        clock.add(() -> order.add("a"));
        clock.add(() -> order.add("b"));
        clock.pass();
        now.set(1_030 * MS);
        clock.pass();
        assertThat(order).containsExactly("a", "b", "a", "b", "a", "b");
    }

    @Test
    void aSessionAddedLaterStartsAtTheNextDeadlineAndARemovedOneStops() {
        Session first = new Session(now);
        clock.add(first);
        clock.pass();
        now.set(1_050 * MS);
        clock.pass();
        Session late = new Session(now);
        clock.add(late);
        now.set(1_060 * MS);
        clock.pass();
        assertThat(late.calls).hasSize(1);
        clock.remove(first);
        now.set(1_070 * MS);
        clock.pass();
        assertThat(first.calls).hasSize(6);
        assertThat(late.calls).hasSize(2);
    }

    @Test
    void theClockThreadTicksItsSessionsUntilClosed() throws Exception {
        CountDownLatch ticked = new CountDownLatch(5);
        AudioClock real = new AudioClock(Duration.ofMillis(10), 5, System::nanoTime, ns -> { });
        real.add(() -> {
            ticked.countDown();
            return true;
        });
        real.start("audio-clock-test");
        try {
            assertThat(ticked.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(real.osPriority()).isEqualTo(AudioClock.OsPriority.DEFAULT); // started without real-time
        } finally {
            real.close();
        }
        long after = real.ticks();
        Thread.sleep(50);
        assertThat(real.ticks()).isEqualTo(after);
    }
}
