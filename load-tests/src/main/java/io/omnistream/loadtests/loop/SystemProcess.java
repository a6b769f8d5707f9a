package io.omnistream.loadtests.loop;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code omni run} ({@link LoopSystemMain}) in a child JVM, so that the system's CPU, memory, threads and file
 * descriptors are measured apart from the load generator's own WebRTC clients. Started with the load generator's
 * class path and project properties; {@link #close()} closes its stdin (a clean stop) and kills it if it hangs.
 */
final class SystemProcess implements AutoCloseable {
    final Process process;
    final String kafkaBootstrap;
    final String edgeUrl;

    private SystemProcess(Process process, String kafkaBootstrap, String edgeUrl) {
        this.process = process;
        this.kafkaBootstrap = kafkaBootstrap;
        this.edgeUrl = edgeUrl;
    }

    /** Starts the system with {@code extraJvmArgs} (e.g. native memory tracking) and waits until it is ready. */
    static SystemProcess start(Path runDir, List<String> extraJvmArgs) throws IOException {
        return start(runDir, extraJvmArgs, java.util.Map.of());
    }

    /** As above, with extra environment variables for the child (e.g. {@code MALLOC_ARENA_MAX}). */
    static SystemProcess start(Path runDir, List<String> extraJvmArgs, java.util.Map<String, String> env)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                "-Xmx3g", "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
                "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"));
        cmd.addAll(extraJvmArgs);
        for (String p : new String[] {"omni.project.root", "log4j2.configurationFile", "loop.webroot", "omni.models.dir"}) {
            if (System.getProperty(p) != null) {
                cmd.add("-D" + p + "=" + System.getProperty(p));
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), LoopSystemMain.class.getName(), runDir.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(env);
        Process system = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(system.getInputStream()));
        String kafka = null, url = null;
        for (String line; (line = out.readLine()) != null; ) {
            System.out.println("[system] " + line);
            if (line.startsWith("OMNI_READY ")) {
                String[] f = line.split(" ");
                kafka = f[1];
                url = f[2];
                break;
            }
        }
        if (url == null) {
            system.destroyForcibly();
            throw new IllegalStateException("omni run did not start in the child process");
        }
        Thread drain = new Thread(() -> out.lines().forEach(l -> System.out.println("[system] " + l)), "system-out");
        drain.setDaemon(true);
        drain.start();
        return new SystemProcess(system, kafka, url);
    }

    long pid() {
        return process.pid();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.getOutputStream().close();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
