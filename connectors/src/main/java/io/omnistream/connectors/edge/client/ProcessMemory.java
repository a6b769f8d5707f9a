package io.omnistream.connectors.edge.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Resident memory of a Linux process from {@code /proc}, split so that a leak in native code can be told from the
 * Java heap settling: {@link #mallocBytes} counts the mappings malloc serves from (the brk heap and anonymous
 * mappings of at most one 64 MB arena, where webrtc frames, codec buffers and other native allocations live) and
 * leaves out the Java heap, whose generations are single large mappings whose pages become resident as the
 * collector first uses them — 200 MB of RSS growth over a minute that is not a leak.
 */
public final class ProcessMemory {
    private static final Pattern MAPPING = Pattern.compile("[0-9a-f]+-[0-9a-f]+ ");
    private static final long ARENA_KB = 65_536;

    private ProcessMemory() {}

    /** VmRSS of the process ({@code "self"} for this one). */
    public static long rssBytes(String pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS for process " + pid);
    }

    /** Resident bytes of the brk heap and the anonymous mappings no larger than a malloc arena. */
    public static long mallocBytes(String pid) throws IOException {
        long total = 0;
        boolean counted = false;
        long sizeKb = 0;
        for (String line : Files.readAllLines(Path.of("/proc", pid, "smaps"))) {
            if (MAPPING.matcher(line).lookingAt()) {
                String[] f = line.trim().split("\\s+");
                counted = f.length < 6 || f[5].equals("[heap]");
            } else if (line.startsWith("Size:")) {
                sizeKb = Long.parseLong(line.replaceAll("[^0-9]", ""));
            } else if (line.startsWith("Rss:") && counted && sizeKb <= ARENA_KB) {
                total += Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return total;
    }
}
