package io.omnistream.loadtests.loop;

import io.omnistream.connectors.edge.AudioClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The edge's two 10 ms agent-audio clocks side by side on the same machine at the same time: the shared
 * {@code ScheduledExecutorService} at a fixed rate with Java's MAX_PRIORITY (what the edge used before issue 9's
 * fourth session) and {@link AudioClock} (absolute deadlines, {@code parkNanos}, real-time scheduling when the OS
 * allows it). Each records how late every tick started after its deadline; the browser's jitter buffer sizes itself
 * to that lateness. Run it on the machine whose figures you care about, under that machine's usual load:
 *
 * <pre>
 * mvn -q -pl load-tests exec:exec -Dbench.main=io.omnistream.loadtests.loop.AudioClockBenchmark -Dbench.args="60"
 * </pre>
 * Argument: seconds to run.
 */
public final class AudioClockBenchmark {
    private static final long PERIOD = 10_000_000L;

    private AudioClockBenchmark() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 1) {
            args = args[0].trim().split("\\s+");
        }
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;

        List<Double> executorLate = new ArrayList<>(seconds * 110);
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "old-edge-agent-audio");
            t.setDaemon(true);
            t.setPriority(Thread.MAX_PRIORITY);
            return t;
        });
        long[] executorTicks = {0};
        long executorStart = System.nanoTime() + PERIOD;
        executor.scheduleAtFixedRate(() -> {
            long ideal = executorStart + executorTicks[0]++ * PERIOD;
            executorLate.add((System.nanoTime() - ideal) / 1e6);
        }, PERIOD, PERIOD, TimeUnit.NANOSECONDS);

        List<Double> clockLate = new ArrayList<>(seconds * 110);
        AudioClock clock = new AudioClock(Duration.ofMillis(10), 5, System::nanoTime, ns -> clockLate.add(ns / 1e6));
        clock.add(() -> true);
        clock.start("new-edge-audio-clock", true);

        Thread.sleep(seconds * 1000L);
        executor.shutdownNow();
        executor.awaitTermination(5, TimeUnit.SECONDS);
        clock.close();
        List<Double> e;
        List<Double> c;
        synchronized (executorLate) {
            e = new ArrayList<>(executorLate);
        }
        c = new ArrayList<>(clockLate);
        System.out.println("\n===== RESULTS.md (edge audio clock) =====");
        System.out.printf(Locale.ROOT, "%d s, %d cores, load average at the end %s%n%n", seconds,
                Runtime.getRuntime().availableProcessors(), loadAverage());
        System.out.println("| clock | ticks | lateness p50 / p95 / p99 / max ms | ticks > 2 ms late | > 10 ms late |");
        System.out.println("|---|---|---|---|---|");
        row("ScheduledExecutorService, fixed rate, MAX_PRIORITY (before)", e);
        row("AudioClock, absolute deadlines, " + clock.osPriority() + " scheduling (after); late ticks "
                + clock.lateTicks() + ", skipped " + clock.skippedTicks(), c);
        System.exit(0);
    }

    private static void row(String name, List<Double> late) {
        Percentiles p = new Percentiles(late);
        long over2 = late.stream().filter(v -> v > 2).count();
        long over10 = late.stream().filter(v -> v > 10).count();
        System.out.printf(Locale.ROOT, "| %s | %d | %.2f / %.2f / %.2f / %.1f | %d (%.2f %%) | %d (%.2f %%) |%n", name,
                late.size(), p.p(50), p.p(95), p.p(99), p.p(100), over2, 100.0 * over2 / Math.max(1, late.size()), over10,
                100.0 * over10 / Math.max(1, late.size()));
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (Exception ex) {
            return "unknown";
        }
    }
}
