package io.omnistream.connectors.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Streaming client of an OpenAI-compatible chat-completions endpoint (what vLLM serves for
 * Qwen3-Omni): sends the transcript, the turn's audio as {@code input_audio} (WAV, base64) and the
 * screen as an {@code image_url} JPEG data URI with {@code "stream": true}, and reads the tokens from
 * the Server-Sent Events stream.
 *
 * <p>Failure handling: connect, first-token and total timeouts; bounded retries while no token has
 * been received (connection errors, HTTP 429/5xx, first-token timeout); a circuit breaker shared by
 * all requests of this client. A stream that breaks off, is malformed or ends without
 * {@code [DONE]}/finish reason fails the whole reply, so the caller never speaks half an answer.
 */
public final class OmniModelClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final OmniModelConfig config;
    private final HttpClient http;
    private final CircuitBreaker breaker;
    private final ExecutorService workers;
    private final ScheduledExecutorService timers;

    public OmniModelClient(OmniModelConfig config) {
        this.config = config;
        this.workers = Executors.newCachedThreadPool(r -> daemon(r, "omni-model-" + THREADS.incrementAndGet()));
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "omni-model-timeouts"));
        this.http = HttpClient.newBuilder().connectTimeout(config.connectTimeout).executor(workers).build();
        this.breaker = new CircuitBreaker(config.breakerFailureThreshold, config.breakerOpenFor);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    /** Answers a turn; the future always completes normally, with an error inside the reply on failure. */
    public CompletableFuture<OmniModelReply> answer(OmniModelRequest request) {
        return answer(request, d -> {});
    }

    /**
     * Answers a turn, calling {@code onDelta} for every token as it arrives (from a client thread).
     * Deltas of a failed attempt may already have been passed on; the reply then carries the error.
     */
    public CompletableFuture<OmniModelReply> answer(OmniModelRequest request, Consumer<String> onDelta) {
        CompletableFuture<OmniModelReply> result = new CompletableFuture<>();
        if (!breaker.tryAcquire()) {
            result.complete(OmniModelReply.failed(request, "circuit breaker open", 0));
            return result;
        }
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(requestBody(request));
        } catch (IOException e) {
            result.complete(OmniModelReply.failed(request, "cannot encode request: " + e.getMessage(), 0));
            return result;
        }
        workers.execute(() -> {
            long t0 = System.nanoTime();
            OmniModelReply reply = null;
            int attempt = 0;
            while (true) {
                attempt++;
                Attempt a = new Attempt(request, body, onDelta, t0);
                a.run();
                if (a.error == null) {
                    reply = a.reply;
                    reply.attempts = attempt;
                    break;
                }
                if (!a.retryable || a.tokensReceived || attempt > config.maxRetries
                        || System.nanoTime() - t0 > config.totalTimeout.toNanos()) {
                    reply = OmniModelReply.failed(request, a.error, attempt);
                    break;
                }
                try {
                    Thread.sleep(config.retryBackoff.toMillis() * attempt);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    reply = OmniModelReply.failed(request, "interrupted", attempt);
                    break;
                }
            }
            reply.totalMicros = (System.nanoTime() - t0) / 1000;
            if (reply.ok()) {
                breaker.onSuccess();
            } else {
                breaker.onFailure();
            }
            result.complete(reply);
        });
        return result;
    }

    /** One HTTP exchange. */
    private final class Attempt {
        final OmniModelRequest request;
        final byte[] body;
        final Consumer<String> onDelta;
        final long t0;
        String error;
        boolean retryable;
        boolean tokensReceived;
        OmniModelReply reply;

        Attempt(OmniModelRequest request, byte[] body, Consumer<String> onDelta, long t0) {
            this.request = request;
            this.body = body;
            this.onDelta = onDelta;
            this.t0 = t0;
        }

        void run() {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(config.baseUrl + "/chat/completions"))
                    .timeout(config.firstTokenTimeout)
                    .header("Content-Type", "application/json")
                    .header("Accept", "text/event-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (config.apiKey != null) {
                b.header("Authorization", "Bearer " + config.apiKey);
            }
            AtomicReference<InputStream> stream = new AtomicReference<>();
            AtomicBoolean timedOut = new AtomicBoolean();
            AtomicReference<String> timeoutKind = new AtomicReference<>("first token");
            ScheduledFuture<?> firstTokenTimer = timers.schedule(() -> abort(stream, timedOut, "first-token timeout"),
                    config.firstTokenTimeout.toMillis(), TimeUnit.MILLISECONDS);
            long totalLeft = config.totalTimeout.toNanos() - (System.nanoTime() - t0);
            ScheduledFuture<?> totalTimer = timers.schedule(() -> abort(stream, timedOut, "total timeout"),
                    Math.max(1, totalLeft / 1_000_000), TimeUnit.MILLISECONDS);
            try {
                HttpResponse<InputStream> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
                stream.set(resp.body());
                if (timedOut.get()) {
                    resp.body().close();
                }
                if (resp.statusCode() != 200) {
                    String text = new String(resp.body().readNBytes(500), StandardCharsets.UTF_8);
                    resp.body().close();
                    fail("HTTP " + resp.statusCode() + ": " + text.trim(), resp.statusCode() == 429 || resp.statusCode() >= 500);
                    return;
                }
                read(resp.body(), firstTokenTimer);
            } catch (java.net.http.HttpTimeoutException e) {
                fail("first-token timeout (no response headers)", true);
            } catch (IOException e) {
                if (timedOut.get()) {
                    fail(lastAbortReason != null ? lastAbortReason : "timeout", !tokensReceived);
                } else {
                    fail("connection failed: " + e.getClass().getSimpleName() + " " + e.getMessage(), true);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted", false);
            } finally {
                firstTokenTimer.cancel(false);
                totalTimer.cancel(false);
            }
        }

        private volatile String lastAbortReason;

        private void abort(AtomicReference<InputStream> stream, AtomicBoolean timedOut, String why) {
            lastAbortReason = why;
            timedOut.set(true);
            InputStream in = stream.get();
            if (in != null) {
                try {
                    in.close();
                } catch (IOException ignored) {
                    // closing is how the reading thread is woken up
                }
            }
        }

        private void read(InputStream body, ScheduledFuture<?> firstTokenTimer) throws IOException {
            List<String> deltas = new ArrayList<>();
            String model = null;
            boolean finished = false;
            long firstToken = 0;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                SseEventReader events = new SseEventReader(r);
                String data;
                while ((data = events.next()) != null) {
                    if (data.trim().equals("[DONE]")) {
                        finished = true;
                        break;
                    }
                    JsonNode event;
                    try {
                        event = JSON.readTree(data);
                    } catch (IOException e) {
                        fail("malformed stream event: " + abbreviate(data), !tokensReceived);
                        return;
                    }
                    if (event.has("error")) {
                        fail("model error: " + abbreviate(event.get("error").toString()), false);
                        return;
                    }
                    JsonNode choices = event.get("choices");
                    if (choices == null || !choices.isArray()) {
                        fail("malformed stream event (no choices): " + abbreviate(data), !tokensReceived);
                        return;
                    }
                    if (event.hasNonNull("model")) {
                        model = event.get("model").asText();
                    }
                    for (JsonNode choice : choices) {
                        JsonNode content = choice.path("delta").path("content");
                        if (content.isTextual() && !content.asText().isEmpty()) {
                            if (!tokensReceived) {
                                tokensReceived = true;
                                firstToken = (System.nanoTime() - t0) / 1000;
                                firstTokenTimer.cancel(false);
                            }
                            deltas.add(content.asText());
                            onDelta.accept(content.asText());
                        }
                        if (choice.hasNonNull("finish_reason")) {
                            finished = true;
                        }
                    }
                }
            }
            if (!finished) {
                fail("stream ended before the answer was complete (truncated)", !tokensReceived);
                return;
            }
            if (deltas.isEmpty()) {
                fail("model returned no text", false);
                return;
            }
            reply = new OmniModelReply();
            reply.sessionId = request.sessionId;
            reply.turnId = request.turnId;
            reply.deltas = deltas;
            reply.model = model == null ? config.model : model;
            reply.firstTokenMicros = firstToken;
        }

        private void fail(String why, boolean canRetry) {
            error = why;
            retryable = canRetry;
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 120) + "...";
    }

    /** The chat-completions request body. */
    ObjectNode requestBody(OmniModelRequest r) {
        ObjectNode root = JSON.createObjectNode();
        root.put("model", config.model);
        root.put("stream", true);
        root.put("max_tokens", config.maxTokens);
        root.put("temperature", config.temperature);
        ArrayNode messages = root.putArray("messages");
        messages.addObject().put("role", "system").put("content", config.systemPrompt);
        ObjectNode user = messages.addObject().put("role", "user");
        ArrayNode content = user.putArray("content");
        content.addObject().put("type", "text").put("text", r.transcript == null || r.transcript.isBlank()
                ? "(the speech recogniser heard nothing clear; listen to the audio)" : "The customer said: " + r.transcript);
        if (r.pcm16k != null && r.pcm16k.length > 0) {
            int max = (int) (config.maxAudio.toMillis() * 32);
            byte[] pcm = r.pcm16k.length <= max ? r.pcm16k : java.util.Arrays.copyOfRange(r.pcm16k, r.pcm16k.length - max, r.pcm16k.length);
            ObjectNode audio = content.addObject().put("type", "input_audio").putObject("input_audio");
            audio.put("data", Base64.getEncoder().encodeToString(wav(pcm, 16000)));
            audio.put("format", "wav");
        }
        if (r.screenJpeg != null && r.screenJpeg.length > 0) {
            content.addObject().put("type", "image_url").putObject("image_url")
                    .put("url", "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(r.screenJpeg));
        }
        return root;
    }

    /** A PCM16 mono WAV file of the samples. */
    static byte[] wav(byte[] pcm, int rate) {
        ByteBuffer b = ByteBuffer.allocate(44 + pcm.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + pcm.length).put("WAVE".getBytes(StandardCharsets.US_ASCII));
        b.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1)
                .putInt(rate).putInt(rate * 2).putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(pcm.length).put(pcm);
        return b.array();
    }

    @Override
    public void close() {
        timers.shutdownNow();
        workers.shutdownNow();
    }
}
