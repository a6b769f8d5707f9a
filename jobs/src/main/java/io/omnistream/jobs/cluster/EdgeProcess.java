package io.omnistream.jobs.cluster;

import io.omnistream.connectors.edge.EdgeConfig;
import io.omnistream.connectors.edge.EdgeServer;
import java.util.Arrays;
import java.util.List;

/**
 * Runs the WebRTC edge as its own process, the way {@code omni cluster up} (and a container) runs it:
 * {@code --kafka-bootstrap HOST:PORT [--port N] [--host H]}, plus the environment the Kubernetes manifests set
 * ({@code OMNI_EDGE_ICE_SERVERS} comma-separated, {@code OMNI_EDGE_JWT_SECRET}). Prints {@code edge.url=...} when
 * ready and stops cleanly on SIGTERM. A client whose edge process died resumes its session on the restarted process
 * (or another edge) only when every edge gets the same {@code OMNI_EDGE_JWT_SECRET}: the resume token is signed with
 * it (see the {@code io.omnistream.connectors.edge} package documentation); {@code EdgeKillITCase} tests that.
 */
public final class EdgeProcess {
    private EdgeProcess() {}

    public static void main(String[] args) throws InterruptedException {
        EdgeConfig.Builder b = EdgeConfig.builder();
        String bootstrap = env("OMNI_KAFKA_BOOTSTRAP");
        String port = env("OMNI_EDGE_PORT");
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--kafka-bootstrap" -> bootstrap = args[i + 1];
                case "--port" -> port = args[i + 1];
                case "--host" -> b.host(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (expected --kafka-bootstrap, --port, --host)");
            }
        }
        if (bootstrap == null) {
            throw new IllegalArgumentException("--kafka-bootstrap (or OMNI_KAFKA_BOOTSTRAP) is required");
        }
        b.bootstrapServers(bootstrap);
        if (port != null) {
            b.port(Integer.parseInt(port));
        }
        String ice = env("OMNI_EDGE_ICE_SERVERS");
        if (ice != null) {
            List<String> servers = Arrays.stream(ice.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
            b.iceServers(servers);
        }
        String jwt = env("OMNI_EDGE_JWT_SECRET");
        if (jwt != null) {
            b.jwtSecret(jwt);
        }
        EdgeServer edge = EdgeServer.start(b.build());
        Runtime.getRuntime().addShutdownHook(new Thread(edge::close, "edge-shutdown"));
        System.out.println("edge.url=" + edge.url());
        System.out.flush();
        Thread.currentThread().join();
    }

    private static String env(String name) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? null : v;
    }
}
