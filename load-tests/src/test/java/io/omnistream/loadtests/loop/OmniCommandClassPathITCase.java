package io.omnistream.loadtests.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/local/omni run} — the README's first command — runs the job on the class path Maven writes for it
 * ({@code jobs/target/omni.classpath}, runtime scope), not on a test class path. Every other test runs the system on
 * Maven's test class path, which hid a dependency declared test-only in the jobs module: the responder could not read
 * its YAML knowledge base and the job restarted in a loop. Here the real command's class path starts the system
 * without the edge, and every task of the job must be RUNNING with no task failure.
 */
class OmniCommandClassPathITCase {

    @Test
    void theOmniCommandsClassPathRunsTheWholeJob(@TempDir Path dir) throws Exception {
        Path root = Path.of(System.getProperty("omni.project.root", "..")).toAbsolutePath().normalize();
        Path classpath = root.resolve("jobs/target/omni.classpath");
        assumeTrue(Files.isRegularFile(classpath), "jobs/target/omni.classpath is written when the jobs module is packaged");
        int ui;
        try (ServerSocket s = new ServerSocket(0)) {
            ui = s.getLocalPort();
        }
        List<String> cmd = List.of(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java", "-Xmx2g",
                "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
                "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                "-Domni.project.root=" + root, "-Dlog4j2.configurationFile=" + root.resolve("deploy/local/log4j2.properties"),
                "-cp", root.resolve("jobs/target/classes") + File.pathSeparator + Files.readString(classpath).trim(),
                "io.omnistream.jobs.cli.OmniCommand", "run", "--no-edge", "--kafka-port", "0", "--flink-ui-port",
                Integer.toString(ui), "--data-dir", dir.resolve("data").toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> output = new CopyOnWriteArrayList<>();
        Thread drain = new Thread(() -> new BufferedReader(new InputStreamReader(p.getInputStream())).lines().forEach(output::add),
                "omni-out");
        drain.setDaemon(true);
        drain.start();
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            JsonObject job = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline && p.isAlive()) {
                Thread.sleep(1000);
                job = runningJob(http, ui);
                if (job != null) {
                    JsonObject tasks = job.getJsonObject("tasks");
                    if (tasks.getInteger("running", 0) > 0 && tasks.getInteger("running").equals(tasks.getInteger("total"))) {
                        break;
                    }
                }
            }
            Thread.sleep(5000); // a task that fails in open() does so within a second or two of starting
            assertThat(output).as("the omni command's output").noneMatch(l -> l.contains("NoClassDefFoundError")
                    || l.contains("ClassNotFoundException") || l.contains("to FAILED"));
            job = runningJob(http, ui);
            assertThat(job).as("a RUNNING job on the Flink REST API; output:%n%s", String.join("\n", output)).isNotNull();
            assertThat(job.getJsonObject("tasks").getInteger("running")).as("tasks running")
                    .isEqualTo(job.getJsonObject("tasks").getInteger("total"));
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    /** The first RUNNING job in {@code /jobs/overview}, or null (also while the REST endpoint is not up yet). */
    private static JsonObject runningJob(HttpClient http, int port) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/jobs/overview"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return null;
            }
            JsonArray jobs = new JsonObject(r.body()).getJsonArray("jobs");
            for (int i = 0; i < jobs.size(); i++) {
                if ("RUNNING".equals(jobs.getJsonObject(i).getString("state"))) {
                    return jobs.getJsonObject(i);
                }
            }
            return null;
        } catch (Exception e) {
            return null;
        }
    }
}
