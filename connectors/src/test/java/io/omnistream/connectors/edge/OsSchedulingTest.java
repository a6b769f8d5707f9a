package io.omnistream.connectors.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class OsSchedulingTest {

    @Test
    void readsPolicyAndNiceAfterAThreadNameWithSpacesAndParentheses() {
        // fields 3.. of a real stat line: state S, ..., priority 20 (field 18), nice 0 (19), ..., policy 0 (41)
        String stat = "4242 (odd) name (x) 1) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 100 1000 10 "
                + "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        assertThat(OsScheduling.nice(stat)).isZero();
        assertThat(OsScheduling.policy(stat)).isZero();
        String realtime = stat.replace(" 20 0 1 0 100 ", " -11 0 1 0 100 ").replace(" 17 1 0 0 0 0 0", " 17 1 10 2 0 0 0");
        assertThat(OsScheduling.policy(realtime)).isEqualTo(2);
    }

    @Test
    void readsThisThreadsOwnStat() throws Exception {
        Path self = Path.of("/proc/thread-self/stat");
        assumeTrue(Files.exists(self), "Linux only");
        String stat = Files.readString(self);
        assertThat(OsScheduling.policy(stat)).isBetween(0, 6);
        assertThat(OsScheduling.nice(stat)).isBetween(-20, 19);
    }

    @Test
    void raisesANamedThreadOnceAndLeavesItAloneAfterwards() throws Exception {
        assumeTrue(Files.exists(Path.of("/proc/self/task")), "Linux only");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "omni-rt-probe");
        t.start();
        try {
            started.await();
            int first = OsScheduling.raiseNamed(List.of("omni-rt-probe"));
            assertThat(first).isBetween(0, 1); // 0 where the OS refuses (no CAP_SYS_NICE)
            if (first == 1) {
                assertThat(OsScheduling.raiseNamed(List.of("omni-rt-probe"))).isZero();
            }
            assertThat(OsScheduling.raiseNamed(List.of("no-such-thread-name"))).isZero();
        } finally {
            release.countDown();
            t.join();
        }
    }
}
