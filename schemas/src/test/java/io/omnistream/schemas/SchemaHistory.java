package io.omnistream.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.avro.Schema;

/**
 * Every top-level schema of the project and the earlier versions of it that were released, as stored under
 * {@code src/test/resources/schema-history/<Name>/<version>.avsc}.
 *
 * <p>A released version is a full, self-contained copy of the schema ({@code Schema.toString(true)}), so it still
 * parses after the current schema moved on. Run {@link #main} to store the current schemas as a new version.
 */
final class SchemaHistory {

    /** The top-level records that travel over Kafka or are kept in state. */
    static final Map<String, Schema> CURRENT = new TreeMap<>(Map.ofEntries(
            Map.entry("MediaChunk", MediaChunk.getClassSchema()),
            Map.entry("SessionControl", SessionControl.getClassSchema()),
            Map.entry("PerceptionFrame", PerceptionFrame.getClassSchema()),
            Map.entry("SpeechEvent", SpeechEvent.getClassSchema()),
            Map.entry("Transcript", Transcript.getClassSchema()),
            Map.entry("ScreenText", ScreenText.getClassSchema()),
            Map.entry("AgentResponse", AgentResponse.getClassSchema()),
            Map.entry("LatencyTrace", LatencyTrace.getClassSchema()),
            Map.entry("DeadLetter", DeadLetter.getClassSchema()),
            Map.entry("OmniEvent", OmniEvent.getClassSchema()),
            Map.entry("AnalyticsRecord", AnalyticsRecord.getClassSchema())));

    private SchemaHistory() {}

    /** Stored versions of one schema, oldest first. */
    static List<Schema> releasedVersions(String name) throws IOException {
        URL dir = SchemaHistory.class.getResource("/schema-history/" + name);
        if (dir == null) {
            return List.of();
        }
        List<Schema> versions = new ArrayList<>();
        try (Stream<Path> files = Files.list(toPath(dir))) {
            for (Path file : files.filter(p -> p.toString().endsWith(".avsc"))
                    .sorted(Comparator.comparingInt(SchemaHistory::versionOf)).toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    versions.add(new Schema.Parser().parse(in));
                }
            }
        }
        return versions;
    }

    static int versionOf(Path file) {
        String name = file.getFileName().toString();
        return Integer.parseInt(name.substring(0, name.length() - ".avsc".length()));
    }

    private static Path toPath(URL url) {
        try {
            return Paths.get(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stores each current schema as the next version when it differs from the newest stored one. */
    public static void main(String[] args) throws IOException {
        Path root = Paths.get(args.length > 0 ? args[0] : "src/test/resources/schema-history");
        for (Map.Entry<String, Schema> e : CURRENT.entrySet()) {
            Path dir = root.resolve(e.getKey());
            Files.createDirectories(dir);
            int newest = 0;
            Schema newestSchema = null;
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".avsc")).toList()) {
                    int v = versionOf(f);
                    if (v > newest) {
                        newest = v;
                        newestSchema = new Schema.Parser().parse(f.toFile());
                    }
                }
            }
            if (!e.getValue().equals(newestSchema)) {
                Path out = dir.resolve((newest + 1) + ".avsc");
                Files.writeString(out, e.getValue().toString(true) + "\n");
                System.out.println("stored " + out);
            }
        }
    }
}
