package io.omnistream.connectors.edge;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The request/response WebSocket both browser remote protocols speak (Chromium's DevTools protocol and Firefox's
 * WebDriver BiDi): JSON messages with an {@code id}, answered by a message with the same id.
 */
final class JsonRpcSocket {
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();

    private JsonRpcSocket(HttpClient http, URI uri) throws Exception {
        socket = http.newWebSocketBuilder().buildAsync(uri, new WebSocket.Listener() {
            private final StringBuilder buf = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                buf.append(data);
                if (last) {
                    JsonObject m = new JsonObject(buf.toString());
                    buf.setLength(0);
                    Integer id = m.getInteger("id");
                    CompletableFuture<JsonObject> f = id == null ? null : pending.remove(id);
                    if (f != null) {
                        f.complete(m);
                    }
                }
                ws.request(1);
                return null;
            }
        }).get(10, TimeUnit.SECONDS);
    }

    static JsonRpcSocket open(HttpClient http, URI uri) throws Exception {
        return new JsonRpcSocket(http, uri);
    }

    /** Sends {@code method} with {@code params} and waits for the answer with the same id. */
    JsonObject call(String method, JsonObject params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonObject> f = new CompletableFuture<>();
        pending.put(id, f);
        socket.sendText(new JsonObject().put("id", id).put("method", method).put("params", params).encode(), true).join();
        return f.get(60, TimeUnit.SECONDS);
    }

    void abort() {
        socket.abort();
    }
}
