package io.omnistream.connectors.edge;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Asks Linux for real-time scheduling of the threads that carry media on time. On a busy machine a thread of the
 * default class waits several milliseconds for a core after each wake-up; the far end's jitter buffer (NetEq in the
 * browser, and the edge's own for the customer's audio) grows to the worst of those waits. libwebrtc already asks
 * for real-time priority for its audio device, audio encoder and video decoding threads, but not for the network
 * thread (every RTP packet in and out: sockets, SRTP) and the worker thread (NetEq's packet insertion) of the
 * webrtc-java factory; the edge's own {@link AudioClock} thread is the third. Real-time round-robin at a low priority
 * (below libwebrtc's own audio threads), as audio servers use, else a raised nice value, else nothing: without the
 * privilege (CAP_SYS_NICE) the requests are refused and everything runs as before.
 */
final class OsScheduling {
    /** Linux truncates thread names to 15 characters; the webrtc-java factory's network and worker threads. */
    static final List<String> WEBRTC_MEDIA_THREADS = List.of("webrtc_jni_netw", "webrtc_jni_work");
    /** Real-time priority requested (1..99); libwebrtc's own audio threads use 49 and 98. */
    static final int RT_PRIORITY = 10;

    private OsScheduling() {}

    /** Raises the calling thread; says what it got. */
    static AudioClock.OsPriority raiseCurrentThread() {
        try {
            Path self = Files.readSymbolicLink(Path.of("/proc/thread-self")); // "<pid>/task/<tid>"
            return raise(self.getFileName().toString());
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return AudioClock.OsPriority.DEFAULT;
        }
    }

    /**
     * Raises every thread of this process whose name starts with one of {@code names} and that still runs in the
     * default scheduling class; returns how many were raised to real-time or nice scheduling now. Threads already
     * raised (or given real-time priority by libwebrtc) are left alone, so calling it again is cheap.
     */
    static int raiseNamed(List<String> names) {
        int raised = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                String comm;
                String stat;
                try {
                    comm = Files.readString(task.resolve("comm")).trim();
                    if (names.stream().noneMatch(comm::startsWith)) {
                        continue;
                    }
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException e) {
                    continue; // the thread ended
                }
                if (policy(stat) == 0 && nice(stat) >= 0 && raise(task.getFileName().toString()) != AudioClock.OsPriority.DEFAULT) {
                    raised++;
                }
            }
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return raised; // not Linux
        }
        return raised;
    }

    private static AudioClock.OsPriority raise(String tid) {
        if (exec("chrt", "--rr", "-p", Integer.toString(RT_PRIORITY), tid)) {
            return AudioClock.OsPriority.REALTIME;
        }
        if (exec("renice", "-n", "-10", "-p", tid)) {
            return AudioClock.OsPriority.NICE;
        }
        return AudioClock.OsPriority.DEFAULT;
    }

    /** Field 41 of {@code /proc/.../stat} (counted after the parenthesised name): the scheduling policy, 0 = normal. */
    static int policy(String stat) {
        return field(stat, 41);
    }

    /** Field 19: the nice value. */
    static int nice(String stat) {
        return field(stat, 19);
    }

    private static int field(String stat, int n) {
        String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(rest[n - 3].trim()); // rest starts at field 3 (state)
    }

    private static boolean exec(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
