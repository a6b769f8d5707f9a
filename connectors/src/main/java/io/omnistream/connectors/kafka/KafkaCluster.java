package io.omnistream.connectors.kafka;

/**
 * Where the Kafka cluster is. Everything else in Omnistream only needs bootstrap servers, so the same code runs
 * against the {@link EmbeddedKafkaBroker} started by {@code omni run}/tests and against any external cluster.
 */
public interface KafkaCluster extends AutoCloseable {

    /** The {@code bootstrap.servers} string for clients of this cluster. */
    String bootstrapServers();

    /** Releases what this handle started; an external cluster is left running. */
    @Override
    void close();

    /** A cluster that someone else runs; {@link #close()} does nothing. */
    static KafkaCluster external(String bootstrapServers) {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrap servers must not be empty");
        }
        return new KafkaCluster() {
            @Override
            public String bootstrapServers() {
                return bootstrapServers;
            }

            @Override
            public void close() {}

            @Override
            public String toString() {
                return "external Kafka cluster at " + bootstrapServers;
            }
        };
    }
}
