package io.omnistream.loadtests.loop;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One page of Debian's headless Chromium whose fake microphone and camera play given files, driven over the
 * Chrome DevTools Protocol. The whole-loop harness runs from main code (exec:exec), so it cannot use the
 * connectors' package-private test launcher; this is the same design, trimmed: Chromium runs in its own process
 * group under a shell watchdog that kills the group when the JVM dies, and {@link #close()} kills it by group id.
 */
public final class ChromiumPage implements AutoCloseable {
    public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Process group;
    private final long pgid;
    private final Thread hook;
    private final Path userDataDir;
    private WebSocket page;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();

    public ChromiumPage(String url, Path wav, Path y4m, Path workDir) throws Exception {
        Files.createDirectories(workDir);
        userDataDir = Files.createTempDirectory(workDir, "chromium-profile-");
        List<String> flags = List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
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
        String script = cmd + " >" + workDir.resolve("chromium.log") + " 2>&1 & C=$!; "
                + "while kill -0 " + jvm + " 2>/dev/null && kill -0 $C 2>/dev/null; do sleep 1; done; kill -9 -$$";
        group = new ProcessBuilder("setsid", "sh", "-c", script).redirectErrorStream(true)
                .redirectOutput(workDir.resolve("chromium-watchdog.log").toFile()).start();
        pgid = group.pid();
        hook = new Thread(this::killGroup, "chromium-killer");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            connect(url);
        } catch (Exception e) {
            close();
            throw e;
        }
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
        page = HTTP.newWebSocketBuilder().buildAsync(URI.create(wsUrl), new WebSocket.Listener() {
            private final StringBuilder buf = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                buf.append(data);
                if (last) {
                    JsonObject m = new JsonObject(buf.toString());
                    buf.setLength(0);
                    Integer id = m.getInteger("id");
                    if (id != null) {
                        CompletableFuture<JsonObject> f = pending.remove(id);
                        if (f != null) {
                            f.complete(m);
                        }
                    }
                }
                ws.request(1);
                return null;
            }
        }).get(10, TimeUnit.SECONDS);
    }

    /** Runtime.evaluate in the page; returns the value (by value), awaiting promises. */
    public Object eval(String expression) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonObject> f = new CompletableFuture<>();
        pending.put(id, f);
        page.sendText(new JsonObject().put("id", id).put("method", "Runtime.evaluate").put("params",
                new JsonObject().put("expression", expression).put("awaitPromise", true).put("returnByValue", true))
                .encode(), true).join();
        JsonObject r = f.get(60, TimeUnit.SECONDS);
        if (r.containsKey("error")) {
            throw new IllegalStateException("CDP error: " + r.getJsonObject("error"));
        }
        JsonObject result = r.getJsonObject("result");
        if (result.containsKey("exceptionDetails")) {
            throw new IllegalStateException("page exception: " + result.getJsonObject("exceptionDetails").encode());
        }
        return result.getJsonObject("result").getValue("value");
    }

    /** {@link #eval} that answers null instead of throwing (for polling while the page loads). */
    public Object evalQuietly(String expression) {
        try {
            return eval(expression);
        } catch (Exception e) {
            return null;
        }
    }

    /** A JSON value computed in the page ({@code JSON.stringify} of the expression). */
    public String json(String expression) throws Exception {
        Object v = eval("JSON.stringify(" + expression + ")");
        return v == null ? "null" : v.toString();
    }

    private void killGroup() {
        try {
            // bash's builtin kill: procps-ng's /usr/bin/kill ignores a negative (group) pid
            new ProcessBuilder("bash", "-c", "kill -9 -- -" + pgid).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
