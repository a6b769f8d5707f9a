package io.omnistream.loadtests.loop;

import io.omnistream.connectors.kafka.OmniKafkaProperties;
import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.connectors.kafka.serde.AvroCodec;
import io.omnistream.schemas.AgentResponse;
import io.omnistream.schemas.LatencyTrace;
import io.omnistream.schemas.OmniEvent;
import io.omnistream.schemas.SpeechEvent;
import io.omnistream.schemas.SpeechEventType;
import io.omnistream.schemas.Transcript;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads {@code omni.events} and {@code omni.agent} from their current end and keeps, per session and turn, what
 * the pipeline said about it: the turn-taking decisions with their {@link LatencyTrace}, the final caption, the
 * trace of the first agent audio, and counts of responses (to find lost or duplicated answers). This is where the
 * whole-loop report gets "where the milliseconds go" between the customer's true end of speech and the browser.
 */
public final class TraceCollector implements AutoCloseable {

    /** What was seen for one (session, turn). */
    public static final class Turn {
        public volatile Map<String, Long> endOfTurnStages;
        public volatile long endOfTurnSpeechMicros = -1;
        public volatile Map<String, Long> firstAudioStages;
        public volatile String caption;
        public final AtomicLong responses = new AtomicLong();
        public final AtomicLong duplicateResponses = new AtomicLong();
        public volatile boolean cancelled;
        final java.util.Set<String> seen = ConcurrentHashMap.newKeySet();
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private final AvroCodec<OmniEvent> events = AvroCodec.of(OmniEvent.class);
    private final AvroCodec<AgentResponse> agent = AvroCodec.of(AgentResponse.class);
    private final Map<String, Map<Long, Turn>> sessions = new ConcurrentHashMap<>();
    private final List<SpeechEvent> bargeIns = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<SpeechEvent> decisions = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicLong malformed = new AtomicLong();
    private volatile boolean running = true;

    public TraceCollector(String bootstrap) {
        Properties p = OmniKafkaProperties.lowLatencyConsumer(bootstrap);
        consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> tps = new ArrayList<>();
        for (String t : List.of(OmniTopics.EVENTS, OmniTopics.AGENT)) {
            for (PartitionInfo i : consumer.partitionsFor(t, Duration.ofSeconds(30))) {
                tps.add(new TopicPartition(t, i.partition()));
            }
        }
        consumer.assign(tps);
        consumer.seekToEnd(tps);
        tps.forEach(consumer::position);
        thread = new Thread(this::run, "loop-trace-collector");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                    try {
                        if (r.topic().equals(OmniTopics.AGENT)) {
                            onAgent(agent.decode(r.value()));
                        } else {
                            onEvent(events.decode(r.value()));
                        }
                    } catch (RuntimeException e) {
                        malformed.incrementAndGet();
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    private Turn turn(String session, long turnId) {
        return sessions.computeIfAbsent(session, s -> new ConcurrentHashMap<>()).computeIfAbsent(turnId, t -> new Turn());
    }

    private void onEvent(OmniEvent e) {
        if (e.getPayload() instanceof SpeechEvent s) {
            decisions.add(s);
            if (s.getType() == SpeechEventType.END_OF_TURN) {
                Turn t = turn(s.getSessionId().toString(), s.getTurnId());
                t.endOfTurnSpeechMicros = s.getSpeechTimeMicros();
                if (s.getTrace() != null) {
                    t.endOfTurnStages = stages(s.getTrace());
                }
            } else if (s.getType() == SpeechEventType.BARGE_IN) {
                bargeIns.add(s);
            }
        } else if (e.getPayload() instanceof Transcript tr && tr.getIsFinal()) {
            turn(tr.getSessionId().toString(), tr.getTurnId()).caption = tr.getText().toString();
        }
    }

    private void onAgent(AgentResponse r) {
        Turn t = turn(r.getSessionId().toString(), r.getTurnId());
        if (!t.seen.add(r.getResponseId() + "/" + r.getSeq())) {
            t.duplicateResponses.incrementAndGet();
            return;
        }
        if (r.getSeq() == 0) {
            t.responses.incrementAndGet();
        }
        if (r.getCancelled()) {
            t.cancelled = true;
        }
        if (r.getAudio() != null && t.firstAudioStages == null && r.getTrace() != null) {
            t.firstAudioStages = stages(r.getTrace());
        }
    }

    private static Map<String, Long> stages(LatencyTrace lt) {
        Map<String, Long> m = new HashMap<>();
        lt.getStages().forEach((k, v) -> m.put(k.toString(), v));
        return m;
    }

    /** Turns seen for a session, by turn id. */
    public Map<Long, Turn> turns(String sessionId) {
        return sessions.getOrDefault(sessionId, Map.of());
    }

    public List<SpeechEvent> bargeIns(String sessionId) {
        return bargeIns.stream().filter(b -> b.getSessionId().toString().equals(sessionId)).toList();
    }

    /** Every turn-taking decision of a session (SPEECH_START, SPEECH_END, END_OF_TURN, BARGE_IN ...), in arrival order. */
    public List<SpeechEvent> decisions(String sessionId) {
        return decisions.stream().filter(b -> b.getSessionId().toString().equals(sessionId)).toList();
    }

    /** Epoch micros at which turn-taking decided, from the event's trace; -1 without one. */
    public static long decidedMicros(SpeechEvent e) {
        if (e.getTrace() == null) {
            return -1;
        }
        Long v = e.getTrace().getStages().get("turn.decided");
        return v == null ? -1 : v;
    }

    public long malformed() {
        return malformed.get();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(5000);
    }
}
