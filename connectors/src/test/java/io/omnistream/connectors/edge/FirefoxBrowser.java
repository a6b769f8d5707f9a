package io.omnistream.connectors.edge;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Debian's headless Firefox ESR driven over WebDriver BiDi (its own remote protocol, no driver download), with
 * Firefox's fake microphone and camera. Like {@link ChromiumBrowser}, it runs in its own process group under a
 * shell watchdog that kills the group when the JVM dies.
 */
final class FirefoxBrowser implements AutoCloseable {
    static final Path FIREFOX = Path.of("/usr/bin/firefox-esr");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Process group;
    private final long pgid;
    private final Thread hook;
    private final JsonRpcSocket bidi;
    private final String context;

    FirefoxBrowser(String url, Path workDir) throws Exception {
        Path profile = Files.createTempDirectory(workDir, "firefox-profile-");
        Files.writeString(profile.resolve("user.js"), String.join("\n",
                "user_pref(\"media.navigator.streams.fake\", true);",
                "user_pref(\"media.navigator.permission.disabled\", true);",
                "user_pref(\"media.autoplay.default\", 0);",
                "user_pref(\"media.autoplay.blocking_policy\", 0);",
                "user_pref(\"browser.shell.checkDefaultBrowser\", false);",
                "user_pref(\"datareporting.policy.dataSubmissionEnabled\", false);",
                "user_pref(\"toolkit.telemetry.reportingpolicy.firstRun\", false);",
                "user_pref(\"app.update.enabled\", false);",
                "user_pref(\"network.captive-portal-service.enabled\", false);",
                "user_pref(\"network.connectivity-service.enabled\", false);",
                "user_pref(\"services.settings.server\", \"http://127.0.0.1:9/\");",
                "user_pref(\"browser.newtabpage.enabled\", false);", ""));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        long jvm = ProcessHandle.current().pid();
        String cmd = FIREFOX + " --headless --no-remote --profile '" + profile + "' --remote-debugging-port " + port
                + " about:blank";
        String script = cmd + " >" + workDir.resolve("firefox.log") + " 2>&1 & F=$!; "
                + "while kill -0 " + jvm + " 2>/dev/null && kill -0 $F 2>/dev/null; do sleep 1; done; kill -9 -$$";
        group = new ProcessBuilder("setsid", "sh", "-c", script).redirectErrorStream(true)
                .redirectOutput(workDir.resolve("firefox-watchdog.log").toFile()).start();
        pgid = group.pid();
        hook = new Thread(this::killGroup, "firefox-killer");
        Runtime.getRuntime().addShutdownHook(hook);

        bidi = connect(port);
        call("session.new", new JsonObject().put("capabilities", new JsonObject()));
        context = call("browsingContext.getTree", new JsonObject()).getJsonObject("result")
                .getJsonArray("contexts").getJsonObject(0).getString("context");
        call("browsingContext.navigate", new JsonObject().put("context", context).put("url", url).put("wait", "complete"));
    }

    private JsonRpcSocket connect(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                return JsonRpcSocket.open(HTTP, URI.create("ws://127.0.0.1:" + port + "/session"));
            } catch (Exception e) {
                if (System.nanoTime() > deadline || !group.isAlive()) {
                    throw new IllegalStateException("Firefox did not open its WebDriver BiDi port", e);
                }
                Thread.sleep(200);
            }
        }
    }

    private JsonObject call(String method, JsonObject params) throws Exception {
        JsonObject r = bidi.call(method, params);
        if (!"success".equals(r.getString("type"))) {
            throw new IllegalStateException("BiDi " + method + " failed: " + r.encode());
        }
        return r;
    }

    /** Evaluates {@code expression} in the page, awaiting promises; returns a string, number, boolean or null. */
    Object eval(String expression) throws Exception {
        JsonObject r = call("script.evaluate", new JsonObject().put("expression", expression)
                .put("target", new JsonObject().put("context", context)).put("awaitPromise", true)).getJsonObject("result");
        if ("exception".equals(r.getString("type"))) {
            throw new IllegalStateException("page exception: " + r.getJsonObject("exceptionDetails").encode());
        }
        JsonObject value = r.getJsonObject("result");
        return value.getValue("value");
    }

    private void killGroup() {
        try {
            new ProcessBuilder("bash", "-c", "kill -9 -- -" + pgid).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** True while any process of the browser's group is alive. */
    boolean anyAlive() {
        return ChromiumBrowser.groupAlive(pgid);
    }

    @Override
    public void close() throws Exception {
        bidi.abort();
        killGroup();
        group.waitFor(10, TimeUnit.SECONDS);
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // JVM already shutting down
        }
    }
}
