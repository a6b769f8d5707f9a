package io.omnistream.connectors.kafka;

import io.omnistream.schemas.MediaKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The Kafka topic names of Omnistream in one place, so the edge, the jobs and the tests can never disagree on
 * a name, plus an idempotent way to create them all on a (possibly external) cluster.
 */
public final class OmniTopics {

    /** Audio {@code MediaChunk}s, key = sessionId. */
    public static final String MEDIA_AUDIO = "omni.media.audio";
    /** Camera {@code MediaChunk}s (JPEG), key = sessionId. */
    public static final String MEDIA_VIDEO = "omni.media.video";
    /** Screen-share {@code MediaChunk}s (JPEG), key = sessionId. */
    public static final String MEDIA_SCREEN = "omni.media.screen";
    /** {@code SessionControl}: session started/ended. */
    public static final String CONTROL = "omni.control";
    /** {@code OmniEvent}: speech/turn/barge-in events, captions, screen text. */
    public static final String EVENTS = "omni.events";
    /** {@code AgentResponse}: response text and audio chunks. */
    public static final String AGENT = "omni.agent";
    /** {@code AnalyticsRecord}: transcripts, fused embeddings, latency traces. */
    public static final String ANALYTICS = "omni.analytics";
    /** {@code DeadLetter}: records that could not be decoded or failed validation. */
    public static final String DLQ = "omni.dlq";
    /**
     * Int8 fused cross-modal features per session and window (the GPU stages' output, written only when they run;
     * a small versioned binary layout, see {@code io.omnistream.operators.gpu.FusedFeatures}).
     */
    public static final String FEATURES = "omni.features";

    /** The three media topics. */
    public static final List<String> MEDIA = List.of(MEDIA_AUDIO, MEDIA_VIDEO, MEDIA_SCREEN);

    /** Every topic of the project. */
    public static final List<String> ALL =
            List.of(MEDIA_AUDIO, MEDIA_VIDEO, MEDIA_SCREEN, CONTROL, EVENTS, AGENT, ANALYTICS, DLQ, FEATURES);

    private OmniTopics() {}

    /** The media topic a chunk of the given kind is published to. */
    public static String mediaTopic(MediaKind kind) {
        return switch (kind) {
            case AUDIO -> MEDIA_AUDIO;
            case CAMERA -> MEDIA_VIDEO;
            case SCREEN -> MEDIA_SCREEN;
        };
    }

    /**
     * Creates every topic in {@link #ALL} with the given partition count and replication factor 1 if it does not
     * exist yet. Topics that already exist are left as they are, so calling this twice is harmless.
     */
    public static void createAll(String bootstrapServers, int partitions) {
        createAll(bootstrapServers, partitions, (short) 1);
    }

    /** Like {@link #createAll(String, int)} with an explicit replication factor (external clusters). */
    public static void createAll(String bootstrapServers, int partitions, short replicationFactor) {
        create(bootstrapServers, ALL, partitions, replicationFactor);
    }

    /** Idempotently creates the given topics. */
    public static void create(String bootstrapServers, List<String> topics, int partitions, short replicationFactor) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000);
        try (Admin admin = Admin.create(props)) {
            Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (String topic : topics) {
                if (!existing.contains(topic)) {
                    missing.add(new NewTopic(topic, partitions, replicationFactor));
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> e :
                    admin.createTopics(missing).values().entrySet()) {
                try {
                    e.getValue().get(60, TimeUnit.SECONDS);
                } catch (ExecutionException ex) {
                    if (!(ex.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("Could not create topic " + e.getKey(), ex.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topics", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Could not create topics on " + bootstrapServers, e);
        }
    }
}
