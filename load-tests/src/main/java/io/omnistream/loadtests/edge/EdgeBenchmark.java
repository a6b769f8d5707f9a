package io.omnistream.loadtests.edge;

import io.omnistream.connectors.edge.EdgeConfig;
import io.omnistream.connectors.edge.EdgeServer;
import io.omnistream.connectors.edge.PcmResampler;
import io.omnistream.connectors.edge.client.EdgeClient;
import io.omnistream.connectors.kafka.EmbeddedKafkaBroker;
import io.omnistream.connectors.kafka.OmniTopics;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;

/**
 * Edge cost per session: CPU of the edge process (a separate JVM, so the load generator's own WebRTC clients are
 * not counted) and Kafka bytes per session-second, for audio only, audio + camera and audio + camera + screen.
 * The clients are {@link EdgeClient}s pushing a real speech recording (looped), a 640x480 synthetic camera at
 * 15 fps and a 1280x720 synthetic screen at 5 fps whose picture changes once per second.
 *
 * <pre>
 * mvn -q -pl load-tests exec:exec -Dbench.main=io.omnistream.loadtests.edge.EdgeBenchmark -Dbench.args="4 10"
 * </pre>
 * Arguments: sessions per step (default 4), measured seconds per step (default 10).
 */
public final class EdgeBenchmark {
    private static final Path SPEECH =
            Path.of("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav");

    private EdgeBenchmark() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("edge")) {
            runEdge(args[1]);
            return;
        }
        if (args.length == 1) { // exec:exec passes -Dbench.args as one argument
            args = args[0].trim().split("[\\s,]+");
        }
        int sessions = args.length > 0 && !args[0].equals("all") ? Integer.parseInt(args[0]) : 4;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        short[] speech = speech48k();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start()) {
            OmniTopics.createAll(broker.bootstrapServers(), 4);
            Process edge = new ProcessBuilder(javaBin(), "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                    EdgeBenchmark.class.getName(), "edge", broker.bootstrapServers())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(edge.getInputStream()));
                String url = null;
                for (String line; (line = out.readLine()) != null; ) {
                    if (line.startsWith("EDGE_URL=")) {
                        url = line.substring(9);
                        break;
                    }
                }
                if (url == null) {
                    throw new IllegalStateException("edge process did not start");
                }
                System.out.printf(Locale.ROOT, "| media | sessions | edge CPU %% of one core per session | Kafka KB per session-second |%n");
                System.out.printf(Locale.ROOT, "|---|---|---|---|%n");
                step("audio", EdgeClient.Options.audioOnly(speech), sessions, seconds, url, edge.pid());
                step("audio + camera 640x480@15", new EdgeClient.Options(speech, true, false, 640, 480, 15), sessions,
                        seconds, url, edge.pid());
                step("audio + camera + screen 1280x720", EdgeClient.Options.all(speech), sessions, seconds, url,
                        edge.pid());
            } finally {
                edge.getOutputStream().close(); // the edge closes on stdin EOF
                if (!edge.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                    edge.destroyForcibly();
                }
            }
        }
        System.exit(0);
    }

    private static void step(String name, EdgeClient.Options options, int sessions, int seconds, String url, long pid)
            throws Exception {
        List<EdgeClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < sessions; i++) {
                clients.add(EdgeClient.connect(url, options, Duration.ofSeconds(30)));
            }
            Thread.sleep(3000); // warm-up: jitter buffers, encoders, first key frames
            double cpu0 = cpuSeconds(pid);
            double bytes0 = mediaBytes(url);
            long t0 = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            double wall = (System.nanoTime() - t0) / 1e9;
            double cpu = cpuSeconds(pid) - cpu0;
            double bytes = mediaBytes(url) - bytes0;
            System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f |%n", name, sessions, cpu / wall / sessions * 100,
                    bytes / wall / sessions / 1024);
        } finally {
            for (EdgeClient c : clients) {
                c.close();
            }
            Thread.sleep(2000);
        }
    }

    private static void runEdge(String bootstrap) throws Exception {
        try (EdgeServer edge = EdgeServer.start(EdgeConfig.builder().host("127.0.0.1").port(0)
                .bootstrapServers(bootstrap).joinsPerSecondPerIp(100).joinBurstPerIp(100).build())) {
            System.out.println("EDGE_URL=" + edge.url());
            System.out.flush();
            while (System.in.read() >= 0) {
                // run until the benchmark closes our stdin
            }
        }
        System.exit(0);
    }

    private static double cpuSeconds(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime + stime, CLK_TCK = 100
    }

    private static double mediaBytes(String url) throws Exception {
        String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url).resolve("metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        for (String line : body.split("\n")) {
            if (line.startsWith("omni_edge_media_bytes_total")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new IllegalStateException("no omni_edge_media_bytes_total in /metrics");
    }

    private static short[] speech48k() throws Exception {
        try (AudioInputStream in = AudioSystem.getAudioInputStream(SPEECH.toFile())) {
            byte[] b = in.readAllBytes();
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            short[] s = new short[b.length / 2];
            for (int i = 0; i < s.length; i++) {
                s[i] = bb.getShort();
            }
            return new PcmResampler(16000, 48000).process(s, 0, s.length);
        }
    }

    private static String javaBin() {
        return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    }
}
