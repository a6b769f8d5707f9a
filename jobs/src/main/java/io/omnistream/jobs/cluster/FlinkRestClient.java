package io.omnistream.jobs.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * The few calls of Flink's REST API that deploying and operating the session pipeline needs — upload a job jar, run
 * it (optionally from a savepoint, with a parallelism), stop it with a savepoint, read job state and checkpoint
 * statistics — the same API the Flink CLI, the web UI and the Kubernetes operator use.
 */
public final class FlinkRestClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** {@code hostPort} as {@code host:port}. */
    public FlinkRestClient(String hostPort) {
        this.base = URI.create("http://" + hostPort + "/");
    }

    public URI base() {
        return base;
    }

    /** {@code GET /overview}: task managers, slots, running jobs. */
    public JsonNode overview() throws IOException {
        return get("overview");
    }

    /** True when the REST endpoint answers. */
    public boolean isUp() {
        try {
            overview();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Uploads a jar; returns the jar id to run it with. */
    public String uploadJar(Path jar) throws IOException {
        String boundary = "omni-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                + jar.getFileName() + "\"\r\nContent-Type: application/java-archive\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(jar));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(base.resolve("jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .timeout(Duration.ofMinutes(5))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                .build();
        JsonNode reply = send(request);
        String file = reply.path("filename").asText();
        if (file.isEmpty()) {
            throw new IOException("jar upload failed: " + reply);
        }
        return Path.of(file).getFileName().toString();
    }

    /** Runs an uploaded jar's main class; returns the job id. */
    public String runJar(String jarId, String entryClass, List<String> args, Integer parallelism, String savepoint,
            boolean allowNonRestoredState) throws IOException {
        ObjectNode body = JSON.createObjectNode();
        if (entryClass != null) {
            body.put("entryClass", entryClass);
        }
        body.putPOJO("programArgsList", args);
        if (parallelism != null) {
            body.put("parallelism", parallelism);
        }
        if (savepoint != null) {
            body.put("savepointPath", savepoint);
            body.put("allowNonRestoredState", allowNonRestoredState);
        }
        JsonNode reply = post("jars/" + jarId + "/run", body, Duration.ofMinutes(2));
        String jobId = reply.path("jobid").asText();
        if (jobId.isEmpty()) {
            throw new IOException("job submission failed: " + reply);
        }
        return jobId;
    }

    /** {@code GET /jobs/:id}: the job's state ("RUNNING", "RESTARTING", ...) and its vertices. */
    public JsonNode job(String jobId) throws IOException {
        return get("jobs/" + jobId);
    }

    public String jobState(String jobId) throws IOException {
        return job(jobId).path("state").asText();
    }

    /** {@code GET /jobs/:id/checkpoints}: counts, latest completed/restored checkpoint, summary statistics. */
    public JsonNode checkpoints(String jobId) throws IOException {
        return get("jobs/" + jobId + "/checkpoints");
    }

    /** {@code GET /jobs/overview}. */
    public JsonNode jobs() throws IOException {
        return get("jobs/overview");
    }

    /** {@code GET /taskmanagers}. */
    public JsonNode taskManagers() throws IOException {
        return get("taskmanagers");
    }

    /** Stops the job with a final savepoint into {@code directory}; waits for it and returns its path. */
    public String stopWithSavepoint(String jobId, String directory, Duration timeout) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.put("targetDirectory", directory);
        body.put("drain", false);
        String trigger = post("jobs/" + jobId + "/stop", body, Duration.ofSeconds(30)).path("request-id").asText();
        if (trigger.isEmpty()) {
            throw new IOException("stop-with-savepoint was not accepted for job " + jobId);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode status = get("jobs/" + jobId + "/savepoints/" + trigger);
            if ("COMPLETED".equals(status.path("status").path("id").asText())) {
                JsonNode op = status.path("operation");
                if (op.has("location")) {
                    return op.path("location").asText();
                }
                throw new IOException("savepoint failed: " + op.path("failure-cause"));
            }
            Thread.sleep(200);
        }
        throw new IOException("savepoint of job " + jobId + " did not complete within " + timeout);
    }

    /** Cancels a job (no savepoint). */
    public void cancel(String jobId) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("jobs/" + jobId + "?mode=cancel"))
                .method("PATCH", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build();
        send(request);
    }

    private JsonNode get(String path) throws IOException {
        return send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).GET().build());
    }

    private JsonNode post(String path, JsonNode body, Duration timeout) throws IOException {
        return send(HttpRequest.newBuilder(base.resolve(path))
                .header("Content-Type", "application/json")
                .timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build());
    }

    private JsonNode send(HttpRequest request) throws IOException {
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        String text = response.body();
        if (response.statusCode() >= 300) {
            throw new IOException(request.method() + " " + request.uri() + " → HTTP " + response.statusCode() + ": "
                    + (text.length() > 2000 ? text.substring(0, 2000) : text));
        }
        return text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
    }
}
