package io.omnistream.connectors.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, single-node Kafka 4 broker in KRaft mode (combined broker + controller roles) running inside this JVM,
 * built from the Kafka jars on our Maven classpath. It exists so that {@code omni run} and the integration tests get
 * a genuine broker without Docker or a separately installed Kafka: storage is formatted with Kafka's own
 * {@link Formatter} (what {@code kafka-storage.sh format} does), then {@link KafkaRaftServer} is started exactly as
 * {@code kafka.Kafka} would start it.
 *
 * <p>Defaults are tuned for low latency and for one node: no initial rebalance delay, replication factor 1 and
 * min ISR 1 for the internal offsets/transaction/share-state topics (so exactly-once producers work), small internal
 * topics and thread pools. Several instances may run in one JVM, one after the other or at the same time.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build().start()) {
 *     OmniTopics.createAll(broker.bootstrapServers(), 3);
 * }
 * }</pre>
 */
public final class EmbeddedKafkaBroker implements KafkaCluster {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final String BROKER_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final int START_ATTEMPTS = 3;

    private final String host;
    private final int requestedPort;
    private final int requestedControllerPort;
    private final int nodeId;
    private final Path configuredDataDir;
    private final Map<String, String> overrides;

    private Path dataDir;
    private boolean temporaryDataDir;
    private KafkaRaftServer server;
    private int port = -1;
    private int controllerPort = -1;
    private String clusterId;

    private EmbeddedKafkaBroker(Builder b) {
        this.host = b.host;
        this.requestedPort = b.port;
        this.requestedControllerPort = b.controllerPort;
        this.nodeId = b.nodeId;
        this.configuredDataDir = b.dataDir;
        this.overrides = new LinkedHashMap<>(b.overrides);
    }

    /** A builder with the defaults: temp data dir, free ports on localhost. */
    public static Builder builder() {
        return new Builder();
    }

    /** Starts a broker with all defaults; the caller closes it. */
    public static EmbeddedKafkaBroker startDefault() {
        return builder().build().start();
    }

    /**
     * Formats the storage (unless the data dir already holds a formatted log) and starts the broker; returns when
     * the broker is registered and unfenced, i.e. ready for clients.
     *
     * @throws IllegalStateException if already started or the broker cannot start
     */
    public synchronized EmbeddedKafkaBroker start() {
        if (server != null) {
            throw new IllegalStateException("Broker already started at " + bootstrapServers());
        }
        try {
            if (configuredDataDir != null) {
                dataDir = configuredDataDir.toAbsolutePath();
                Files.createDirectories(dataDir);
                temporaryDataDir = false;
            } else {
                dataDir = Files.createTempDirectory("omni-kafka-");
                temporaryDataDir = true;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create Kafka data dir", e);
        }
        RuntimeException last = null;
        int attempts = (requestedPort == 0 || requestedControllerPort == 0) ? START_ATTEMPTS : 1;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                startOnce();
                return this;
            } catch (RuntimeException e) {
                // a port picked as free may have been taken in the meantime; pick again
                last = e;
                LOG.warn("Kafka broker start attempt {} failed: {}", attempt, e.toString());
            }
        }
        deleteTemporaryDataDir();
        throw new IllegalStateException("Could not start the embedded Kafka broker", last);
    }

    private void startOnce() {
        port = requestedPort == 0 ? freePort() : requestedPort;
        controllerPort = requestedControllerPort == 0 ? freePort(port) : requestedControllerPort;
        Map<String, String> props = brokerProperties();
        KafkaConfig config = new KafkaConfig(props, false);
        format();
        KafkaRaftServer s = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            s.startup();
        } catch (RuntimeException e) {
            shutdownQuietly(s);
            throw e;
        }
        server = s;
        try {
            awaitReady();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        LOG.info("Embedded Kafka broker (cluster {}) ready at {}, data in {}", clusterId, bootstrapServers(), dataDir);
    }

    private Map<String, String> brokerProperties() {
        Map<String, String> p = new HashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(nodeId));
        p.put("controller.quorum.voters", nodeId + "@" + host + ":" + controllerPort);
        p.put("listeners", BROKER_LISTENER + "://" + host + ":" + port + "," + CONTROLLER_LISTENER + "://" + host + ":"
                + controllerPort);
        p.put("advertised.listeners", BROKER_LISTENER + "://" + host + ":" + port);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("inter.broker.listener.name", BROKER_LISTENER);
        p.put("listener.security.protocol.map", BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("log.dirs", dataDir.toString());
        p.put("metadata.log.dir", dataDir.toString());
        // one node: every internal topic with replication 1 / min ISR 1, few partitions so they are created fast
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "true");
        // low latency for tests and the embedded run
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("broker.heartbeat.interval.ms", "500");
        // small footprint (the default cleaner buffer alone is 128 MiB)
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(2 * 1024 * 1024));
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        p.put("num.recovery.threads.per.data.dir", "1");
        p.put("background.threads", "4");
        // screen-share JPEGs can be several MiB
        p.put("message.max.bytes", Integer.toString(OmniKafkaProperties.MAX_MESSAGE_BYTES));
        p.put("replica.fetch.max.bytes", Integer.toString(OmniKafkaProperties.MAX_MESSAGE_BYTES));
        p.putAll(overrides);
        return p;
    }

    private void format() {
        Path meta = dataDir.resolve("meta.properties");
        if (Files.exists(meta)) {
            // an already formatted, persistent data dir: keep its cluster id and data
            Properties existing = new Properties();
            try (var in = Files.newInputStream(meta)) {
                existing.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read " + meta, e);
            }
            clusterId = existing.getProperty("cluster.id");
            return;
        }
        clusterId = Uuid.randomUuid().toString();
        Formatter formatter = new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setClusterId(clusterId)
                .setNodeId(nodeId)
                .setDirectories(List.of(dataDir.toString()))
                .setMetadataLogDirectory(dataDir.toString())
                .setControllerListenerName(CONTROLLER_LISTENER)
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .setIgnoreFormatted(false);
        try {
            formatter.run();
        } catch (Exception e) {
            throw new IllegalStateException("Could not format Kafka storage in " + dataDir, e);
        }
    }

    private void awaitReady() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            int nodes = admin.describeCluster().nodes().get(60, TimeUnit.SECONDS).size();
            if (nodes < 1) {
                throw new IllegalStateException("Broker reports no nodes");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the broker", e);
        } catch (Exception e) {
            throw new IllegalStateException("Broker did not become ready", e);
        }
    }

    /** {@code host:port} of the broker listener. */
    @Override
    public synchronized String bootstrapServers() {
        if (server == null) {
            throw new IllegalStateException("Broker not started");
        }
        return host + ":" + port;
    }

    /** The broker (client) port; valid after {@link #start()}. */
    public synchronized int port() {
        return port;
    }

    /** The KRaft controller port; valid after {@link #start()}. */
    public synchronized int controllerPort() {
        return controllerPort;
    }

    /** The data (log + metadata) directory; valid after {@link #start()}. */
    public synchronized Path dataDir() {
        return dataDir;
    }

    /** The cluster id written when the storage was formatted in this run (a reused dir keeps its own). */
    public synchronized String clusterId() {
        return clusterId;
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    /** Shuts the broker down cleanly (controlled shutdown), waits for it, and deletes a temporary data dir. */
    @Override
    public synchronized void close() {
        if (server != null) {
            KafkaRaftServer s = server;
            server = null;
            shutdownQuietly(s);
            LOG.info("Embedded Kafka broker at {}:{} stopped", host, port);
        }
        deleteTemporaryDataDir();
    }

    @Override
    public String toString() {
        return "embedded Kafka broker" + (server != null ? " at " + host + ":" + port : " (stopped)");
    }

    private static void shutdownQuietly(KafkaRaftServer s) {
        try {
            s.shutdown();
            s.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.warn("Error while shutting down the embedded Kafka broker", e);
        }
    }

    private void deleteTemporaryDataDir() {
        if (temporaryDataDir && dataDir != null && Files.exists(dataDir)) {
            try (Stream<Path> paths = Files.walk(dataDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                LOG.warn("Could not delete {}", dataDir, e);
            }
        }
    }

    private int freePort(int... exclude) {
        for (int i = 0; i < 10; i++) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(false);
                socket.bind(new InetSocketAddress(host, 0));
                int p = socket.getLocalPort();
                boolean taken = false;
                for (int e : exclude) {
                    taken |= e == p;
                }
                if (!taken) {
                    return p;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot find a free port", e);
            }
        }
        throw new IllegalStateException("Cannot find a free port");
    }

    /**
     * Runs a broker in its own JVM until it is stopped (Ctrl-C / SIGTERM shut it down cleanly), e.g. for the local
     * multi-process cluster: {@code [--port N] [--controller-port N] [--data-dir DIR] [--partitions N]}. With
     * {@code --partitions} all {@link OmniTopics} are created. Prints {@code bootstrap.servers=host:port}.
     */
    public static void main(String[] args) throws InterruptedException {
        Builder builder = builder();
        int partitions = 0;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--port" -> builder.port(Integer.parseInt(Objects.requireNonNull(value, "--port N")));
                case "--controller-port" -> builder.controllerPort(
                        Integer.parseInt(Objects.requireNonNull(value, "--controller-port N")));
                case "--data-dir" -> builder.dataDir(Path.of(Objects.requireNonNull(value, "--data-dir DIR")));
                case "--partitions" -> partitions = Integer.parseInt(Objects.requireNonNull(value, "--partitions N"));
                case "--help", "-h" -> {
                    System.out.println("EmbeddedKafkaBroker [--port N] [--controller-port N] [--data-dir DIR]"
                            + " [--partitions N]");
                    return;
                }
                default -> throw new IllegalArgumentException("Unknown argument: " + args[i]);
            }
            i++;
        }
        EmbeddedKafkaBroker broker = builder.build().start();
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "embedded-kafka-shutdown"));
        if (partitions > 0) {
            OmniTopics.createAll(broker.bootstrapServers(), partitions);
        }
        System.out.println("bootstrap.servers=" + broker.bootstrapServers());
        System.out.flush();
        Thread.currentThread().join();
    }

    /** Configures an {@link EmbeddedKafkaBroker}; every setting has a default. */
    public static final class Builder {
        private String host = "localhost";
        private int port;
        private int controllerPort;
        private int nodeId = 1;
        private Path dataDir;
        private final Map<String, String> overrides = new LinkedHashMap<>();

        private Builder() {}

        /** Host name the listeners bind to and advertise (default {@code localhost}). */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host);
            return this;
        }

        /** Client port; 0 (default) picks a free port. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.port = port;
            return this;
        }

        /** KRaft controller port; 0 (default) picks a free port. */
        public Builder controllerPort(int controllerPort) {
            if (controllerPort < 0 || controllerPort > 65535) {
                throw new IllegalArgumentException("port out of range: " + controllerPort);
            }
            this.controllerPort = controllerPort;
            return this;
        }

        /** Node id (default 1). */
        public Builder nodeId(int nodeId) {
            this.nodeId = nodeId;
            return this;
        }

        /**
         * Persistent data directory, kept on close and reused (not reformatted) on the next start. Default: a fresh
         * temporary directory that is deleted on close.
         */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** Any broker property, overriding the defaults. */
        public Builder brokerProperty(String key, String value) {
            overrides.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
            return this;
        }

        public EmbeddedKafkaBroker build() {
            return new EmbeddedKafkaBroker(this);
        }
    }
}
