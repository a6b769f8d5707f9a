package io.omnistream.connectors.edge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Counts this process's threads (Java and native) and open file descriptors from /proc, for leak tests. */
final class NativeResources {
    private NativeResources() {}

    static int threads() {
        try (Stream<Path> s = Files.list(Paths.get("/proc/self/task"))) {
            return (int) s.count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static int fds() {
        try (Stream<Path> s = Files.list(Paths.get("/proc/self/fd"))) {
            return (int) s.count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> threadNames() {
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(Paths.get("/proc/self/task"))) {
            for (Path t : s.toList()) {
                try {
                    names.add(Files.readString(t.resolve("comm")).trim());
                } catch (IOException e) {
                    // thread ended meanwhile
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return names;
    }
}
