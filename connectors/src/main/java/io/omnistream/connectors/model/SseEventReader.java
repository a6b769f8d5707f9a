package io.omnistream.connectors.model;

import java.io.BufferedReader;
import java.io.IOException;

/**
 * Reads Server-Sent Events (the text/event-stream framing of OpenAI-compatible streaming APIs): lines
 * of {@code field: value}, events separated by a blank line, several {@code data} lines joined with
 * newlines, comments (lines starting with ':') ignored.
 */
public final class SseEventReader {
    private final BufferedReader in;

    public SseEventReader(BufferedReader in) {
        this.in = in;
    }

    /** The data of the next event, or null at the end of the stream. */
    public String next() throws IOException {
        StringBuilder data = null;
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                if (data != null) {
                    return data.toString();
                }
                continue;
            }
            if (line.startsWith(":")) {
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            if (field.equals("data")) {
                if (data == null) {
                    data = new StringBuilder(value);
                } else {
                    data.append('\n').append(value);
                }
            }
        }
        return null; // an event cut off by the end of the stream is discarded (SSE rules)
    }
}
