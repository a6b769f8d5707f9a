package io.omnistream.connectors.edge;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's headless Chromium with fake media devices, driven over the Chrome DevTools Protocol (plain
 * java.net.http WebSocket, no browser download). Chromium runs in its own process group under a small shell
 * watchdog: {@link #close()} and a JVM shutdown hook kill the group by id, and the watchdog kills it if the JVM
 * under test dies without running hooks.
 */
final class ChromiumBrowser implements AutoCloseable {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Process group;
    private final long pgid;
    private final Thread hook;
    private final Path userDataDir;
    private JsonRpcSocket page;

    ChromiumBrowser(String url, Path wav, Path y4m, Path workDir) throws Exception {
        userDataDir = Files.createTempDirectory(workDir, "chromium-profile-");
        List<String> flags = List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + userDataDir, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                "--autoplay-policy=no-user-gesture-required",
                "--use-file-for-fake-audio-capture=" + wav.toAbsolutePath() + "%noloop",
                "--use-file-for-fake-video-capture=" + y4m.toAbsolutePath(), "--remote-debugging-port=0",
                "--remote-allow-origins=*", url);
        StringBuilder cmd = new StringBuilder(CHROMIUM.toString());
        for (String f : flags) {
            cmd.append(' ').append('\'').append(f.replace("'", "'\\''")).append('\'');
        }
        long jvm = ProcessHandle.current().pid();
        // the shell is the group leader; it watches the JVM and the browser and kills the whole group at the end
        String script = cmd + " >" + workDir.resolve("chromium.log") + " 2>&1 & C=$!; "
                + "while kill -0 " + jvm + " 2>/dev/null && kill -0 $C 2>/dev/null; do sleep 1; done; kill -9 -$$";
        group = new ProcessBuilder("setsid", "sh", "-c", script).redirectErrorStream(true)
                .redirectOutput(workDir.resolve("chromium-watchdog.log").toFile()).start();
        pgid = group.pid();
        hook = new Thread(this::killGroup, "chromium-killer");
        Runtime.getRuntime().addShutdownHook(hook);
        connect(url);
    }

    private void connect(String url) throws Exception {
        Path portFile = userDataDir.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(portFile) || Files.readAllLines(portFile).isEmpty()) {
            if (System.nanoTime() > deadline || !group.isAlive()) {
                throw new IllegalStateException("Chromium did not open its DevTools port");
            }
            Thread.sleep(100);
        }
        int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
        String wsUrl = null;
        while (wsUrl == null) {
            JsonArray targets = new JsonArray(HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            for (int i = 0; i < targets.size(); i++) {
                JsonObject t = targets.getJsonObject(i);
                if ("page".equals(t.getString("type")) && t.getString("url", "").startsWith(url)) {
                    wsUrl = t.getString("webSocketDebuggerUrl");
                }
            }
            if (wsUrl == null) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("page target not found: " + targets);
                }
                Thread.sleep(100);
            }
        }
        page = JsonRpcSocket.open(HTTP, URI.create(wsUrl));
    }

    /** Runtime.evaluate in the page; returns the value (by value), awaiting promises. */
    Object eval(String expression) throws Exception {
        JsonObject r = page.call("Runtime.evaluate",
                new JsonObject().put("expression", expression).put("awaitPromise", true).put("returnByValue", true));
        if (r.containsKey("error")) {
            throw new IllegalStateException("CDP error: " + r.getJsonObject("error"));
        }
        JsonObject result = r.getJsonObject("result");
        if (result.containsKey("exceptionDetails")) {
            throw new IllegalStateException("page exception: " + result.getJsonObject("exceptionDetails").encode());
        }
        return result.getJsonObject("result").getValue("value");
    }

    long processGroup() {
        return pgid;
    }

    /** Static view of a group for a process that did not start it (the watchdog test). */
    static boolean groupAlive(long pgid) {
        return ProcessHandle.allProcesses().anyMatch(p -> {
            try {
                String stat = Files.readString(Path.of("/proc/" + p.pid() + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return !"Z".equals(f[0]) && Long.parseLong(f[2]) == pgid;
            } catch (IOException | RuntimeException e) {
                return false;
            }
        });
    }

    private void killGroup() {
        try {
            // bash's builtin kill: procps-ng 4.0.2's /usr/bin/kill silently ignores a negative (group) pid
            new ProcessBuilder("bash", "-c", "kill -9 -- -" + pgid).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        groupMembers().forEach(ProcessHandle::destroyForcibly); // anything that raced the group kill
    }

    private java.util.stream.Stream<ProcessHandle> groupMembers() {
        return ProcessHandle.allProcesses().filter(p -> {
            try {
                String stat = Files.readString(Path.of("/proc/" + p.pid() + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return !"Z".equals(f[0]) && Long.parseLong(f[2]) == pgid; // state, pgrp; zombies are dead
            } catch (IOException | RuntimeException e) {
                return false;
            }
        });
    }

    /** True while any process of the browser's group is alive. */
    boolean anyAlive() {
        return groupMembers().findAny().isPresent();
    }

    @Override
    public void close() throws Exception {
        if (page != null) {
            page.abort();
        }
        killGroup();
        group.waitFor(10, TimeUnit.SECONDS);
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // JVM already shutting down
        }
    }
}
