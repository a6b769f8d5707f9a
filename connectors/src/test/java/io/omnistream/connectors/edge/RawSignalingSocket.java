package io.omnistream.connectors.edge;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A bare signaling WebSocket for sending what a well-behaved client never would. */
final class RawSignalingSocket implements AutoCloseable {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    final WebSocket ws;
    final LinkedBlockingQueue<JsonObject> received = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();

    RawSignalingSocket(String baseUrl, Map<String, String> headers) throws Exception {
        WebSocket.Builder b = HTTP.newWebSocketBuilder();
        headers.forEach(b::header);
        ws = b.buildAsync(URI.create(baseUrl.replaceFirst("^http", "ws")).resolve("signal"), new WebSocket.Listener() {
            private final StringBuilder buf = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                buf.append(data);
                if (last) {
                    received.add(new JsonObject(buf.toString()));
                    buf.setLength(0);
                }
                w.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket w, int statusCode, String reason) {
                closed.complete(statusCode);
                return null;
            }

            @Override
            public void onError(WebSocket w, Throwable error) {
                closed.complete(-1);
            }
        }).get(10, TimeUnit.SECONDS);
    }

    RawSignalingSocket(String baseUrl) throws Exception {
        this(baseUrl, Map.of());
    }

    RawSignalingSocket send(String text) {
        ws.sendText(text, true).join();
        return this;
    }

    RawSignalingSocket send(JsonObject m) {
        return send(m.encode());
    }

    RawSignalingSocket sendBinary(byte[] b) {
        ws.sendBinary(ByteBuffer.wrap(b), true).join();
        return this;
    }

    /** The next message of the given type (others skipped), or fails after 15 s. */
    JsonObject next(String type) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        java.util.List<JsonObject> skipped = new java.util.ArrayList<>();
        while (System.nanoTime() < deadline) {
            JsonObject m = received.poll(100, TimeUnit.MILLISECONDS);
            if (m != null && type.equals(m.getString("type"))) {
                return m;
            }
            if (m != null) {
                skipped.add(m);
            }
        }
        throw new AssertionError("no '" + type + "' message received in 15 s; skipped " + skipped
                + (closed.isDone() ? ", socket closed " + closed.join() : ""));
    }

    /** Sends a ping and waits for the pong: proves the socket is still usable. */
    boolean alive() throws InterruptedException {
        send(new JsonObject().put("type", "ping"));
        return "pong".equals(next("pong").getString("type"));
    }

    int awaitClose() throws Exception {
        return closed.get(15, TimeUnit.SECONDS);
    }

    static String token(String baseUrl) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl).resolve("sessions"))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new JsonObject(r.body()).getString("token");
    }

    @Override
    public void close() {
        ws.abort();
    }
}
