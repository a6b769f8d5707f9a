package io.omnistream.connectors.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local OpenAI-compatible chat-completions server (JDK HTTP server) that answers with a real
 * text/event-stream, in the shape vLLM sends it, or misbehaves on purpose. The first path segment
 * picks the behaviour: {@code http://localhost:PORT/<scenario>/v1/chat/completions}.
 *
 * <ul>
 *   <li>{@code ok}: role chunk, four content chunks 20 ms apart, finish_reason, [DONE]</li>
 *   <li>{@code slow-first}: waits 2 s before answering</li>
 *   <li>{@code slow-stream}: one token every 400 ms, 20 tokens</li>
 *   <li>{@code error500}: HTTP 500 every time; {@code flaky}: HTTP 503 on every odd request, else ok</li>
 *   <li>{@code truncated}: two tokens, then the connection closes without finish_reason/[DONE]</li>
 *   <li>{@code malformed}: a data line that is not JSON</li>
 *   <li>{@code error-event}: an SSE event carrying an OpenAI error object</li>
 * </ul>
 */
public final class StreamingChatTestServer implements AutoCloseable {
    public static final List<String> ANSWER = List.of("Please ", "reset ", "your ", "password.");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    public final List<JsonNode> requests = new CopyOnWriteArrayList<>();

    public StreamingChatTestServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", this::handle);
        server.start();
    }

    public String baseUrl(String scenario) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + scenario + "/v1";
    }

    public int hits(String scenario) {
        return hits.computeIfAbsent(scenario, k -> new AtomicInteger()).get();
    }

    private void handle(HttpExchange ex) throws IOException {
        String[] parts = ex.getRequestURI().getPath().split("/");
        String scenario = parts.length > 1 ? parts[1] : "";
        int n = hits.computeIfAbsent(scenario, k -> new AtomicInteger()).incrementAndGet();
        byte[] body = ex.getRequestBody().readAllBytes();
        try {
            JsonNode req = JSON.readTree(body);
            requests.add(req);
            if (!ex.getRequestURI().getPath().endsWith("/v1/chat/completions") || !req.path("stream").asBoolean()) {
                plain(ex, 400, "{\"error\":{\"message\":\"expected a streaming chat completion\"}}");
                return;
            }
            switch (scenario) {
                case "ok":
                    stream(ex, ANSWER, 20, true);
                    break;
                case "slow-first":
                    sleep(2000);
                    stream(ex, ANSWER, 0, true);
                    break;
                case "slow-stream":
                    stream(ex, java.util.Collections.nCopies(20, "la "), 400, true);
                    break;
                case "error500":
                    plain(ex, 500, "{\"error\":{\"message\":\"model crashed\"}}");
                    break;
                case "flaky":
                    if (n % 2 == 1) {
                        plain(ex, 503, "{\"error\":{\"message\":\"overloaded\"}}");
                    } else {
                        stream(ex, ANSWER, 0, true);
                    }
                    break;
                case "truncated":
                    stream(ex, ANSWER.subList(0, 2), 10, false);
                    break;
                case "malformed":
                    sse(ex, List.of("data: {\"choices\":[{\"delta\":{\"content\":\"Ple\"}}]}", "data: {this is not json"));
                    break;
                case "error-event":
                    sse(ex, List.of("data: {\"error\":{\"message\":\"context length exceeded\",\"code\":400}}"));
                    break;
                default:
                    plain(ex, 404, "{\"error\":{\"message\":\"no scenario " + scenario + "\"}}");
            }
        } catch (IOException e) {
            // the client hung up (timeouts): nothing to do
        } finally {
            ex.close();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void plain(HttpExchange ex, int status, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    private static String chunk(String content, String finish) {
        String delta = content == null ? "{\"role\":\"assistant\"}" : "{\"content\":" + quote(content) + "}";
        return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"qwen3-omni-test\","
                + "\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":" + (finish == null ? "null" : quote(finish)) + "}]}";
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void stream(HttpExchange ex, List<String> tokens, long gapMillis, boolean complete) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        write(out, ": keep-alive comment\n\n");
        write(out, chunk(null, null) + "\n\n");
        for (String t : tokens) {
            sleep(gapMillis);
            write(out, chunk(t, null) + "\n\n");
        }
        if (complete) {
            write(out, chunk("", "stop") + "\n\n");
            write(out, "data: [DONE]\n\n");
        }
    }

    private static void sse(HttpExchange ex, List<String> lines) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        for (String l : lines) {
            write(ex.getResponseBody(), l + "\n\n");
        }
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
