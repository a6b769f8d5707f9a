package io.omnistream.loadtests.loop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU, memory, threads and file descriptors of a process from {@code /proc}, with CPU split by thread into the
 * parts of {@code omni run} that share one JVM: the WebRTC edge (Vert.x, webrtc-java native threads), Flink (task
 * and runtime threads), the Kafka broker, and the JVM itself (GC, JIT). Threads are told apart by their kernel name
 * ({@code comm}, the first 15 characters of the Java thread name, or the native thread's own name).
 */
public final class ProcStats {
    public static final String EDGE = "edge", FLINK = "flink", KAFKA = "kafka", JVM = "jvm", OTHER = "other";
    private static final double TICKS = 100.0; // CLK_TCK

    /** One reading. cpuSeconds per thread group; rssBytes, threads and fds for the whole process. */
    public record Sample(long nanoTime, Map<String, Double> cpuSeconds, double totalCpuSeconds, long rssBytes,
            int threads, int fds) {}

    private ProcStats() {}

    public static Sample sample(long pid) throws IOException {
        Map<String, Double> cpu = new LinkedHashMap<>();
        for (String g : new String[] {EDGE, FLINK, KAFKA, JVM, OTHER}) {
            cpu.put(g, 0.0);
        }
        int threads = 0;
        Path task = Path.of("/proc/" + pid + "/task");
        try (Stream<Path> ts = Files.list(task)) {
            for (Path t : (Iterable<Path>) ts::iterator) {
                try {
                    String comm = Files.readString(t.resolve("comm")).trim();
                    cpu.merge(group(comm), ticks(Files.readString(t.resolve("stat"))) / TICKS, Double::sum);
                    threads++;
                } catch (IOException e) {
                    // thread ended between list and read
                }
            }
        }
        double total = ticks(Files.readString(Path.of("/proc/" + pid + "/stat"))) / TICKS;
        long rss = io.omnistream.connectors.edge.client.ProcessMemory.rssBytes(Long.toString(pid));
        int fds;
        try (Stream<Path> f = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            fds = (int) f.count();
        }
        return new Sample(System.nanoTime(), cpu, total, rss, threads, fds);
    }

    private static long ticks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime
    }

    /** Which part of omni run a thread belongs to, by its kernel name. */
    static String group(String comm) {
        String c = comm.toLowerCase(java.util.Locale.ROOT);
        if (c.startsWith("vert.x") || c.startsWith("edge") || c.startsWith("omni-edge") || c.startsWith("audioencoder") || c.startsWith("webrtc") || c.contains("_thread")
                || c.startsWith("audiodevice") || c.startsWith("rtc") || c.startsWith("pacer") || c.startsWith("module")
                || c.startsWith("encoder") || c.startsWith("decoding") || c.startsWith("voiceprocess")
                || c.startsWith("signaling") || c.startsWith("network") || c.startsWith("worker") || c.startsWith("peer")
                || c.startsWith("return-path") || c.startsWith("media-pub") || c.startsWith("taskqueue")
                || c.startsWith("incomingvideo") || c.startsWith("rtp") || c.startsWith("agent-voice")) {
            return EDGE;
        }
        if (c.startsWith("kafka") || c.startsWith("data-plane") || c.startsWith("controller") || c.startsWith("broker")
                || c.startsWith("quorum") || c.startsWith("raft") || c.startsWith("log-cleaner") || c.startsWith("executor-")
                || c.startsWith("request-handler") || c.startsWith("group-coord") || c.startsWith("share-coord")
                || c.startsWith("transaction") || c.startsWith("expiration") || c.startsWith("metadata")
                || c.startsWith("processor") || c.startsWith("queue-") || c.startsWith("lso") || c.startsWith("scheduler")) {
            return KAFKA;
        }
        if (c.startsWith("gc ") || c.startsWith("g1 ") || c.startsWith("c1 ") || c.startsWith("c2 ") || c.startsWith("vm ")
                || c.equals("java") || c.startsWith("signal disp") || c.startsWith("finalizer") || c.startsWith("reference")
                || c.startsWith("common-cleaner") || c.startsWith("sweeper") || c.startsWith("notification")) {
            return JVM;
        }
        if (c.startsWith("flink") || c.startsWith("source") || c.startsWith("sink") || c.contains("(1/") || c.contains("-> ")
                || c.startsWith("pekko") || c.startsWith("mini-cluster") || c.startsWith("output flusher") || c.startsWith("jobmanager")
                || c.startsWith("taskmanager") || c.startsWith("checkpoint") || c.startsWith("kafka source")
                || c.startsWith("align") || c.startsWith("perception") || c.startsWith("turn") || c.startsWith("validate")
                || c.startsWith("understand") || c.startsWith("asr") || c.startsWith("tts") || c.startsWith("respond")
                || c.startsWith("ocr") || c.startsWith("speech") || c.startsWith("agent") || c.startsWith("cluster-io")
                || c.startsWith("iomanager") || c.startsWith("timer") || c.startsWith("legacy") || c.startsWith("async")
                || c.startsWith("mailbox") || c.startsWith("split") || c.startsWith("fusion") || c.startsWith("onnx")
                || c.startsWith("outputflusher") || c.startsWith("tesseract") || c.startsWith("espeak")
                || c.startsWith("pocketsphinx") || c.startsWith("no-agent") || c.startsWith("validation")) {
            return FLINK;
        }
        return OTHER;
    }

    /** Kernel names of a process's threads with their CPU seconds, busiest first (to check the grouping). */
    public static Map<String, Double> busiestThreads(long pid, int n) throws IOException {
        Map<String, Double> m = new java.util.HashMap<>();
        try (Stream<Path> ts = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) ts::iterator) {
                try {
                    String comm = Files.readString(t.resolve("comm")).trim();
                    m.merge(group(comm) + ":" + comm, ticks(Files.readString(t.resolve("stat"))) / TICKS,
                            Double::sum);
                } catch (IOException e) {
                    // ended
                }
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        m.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(n)
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }
}
