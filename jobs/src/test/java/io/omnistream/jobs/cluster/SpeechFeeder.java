package io.omnistream.jobs.cluster;

import io.omnistream.connectors.kafka.OmniTopics;
import io.omnistream.connectors.kafka.serde.AvroCodec;
import io.omnistream.operators.understand.testutils.Recordings;
import io.omnistream.schemas.MediaChunk;
import io.omnistream.schemas.MediaKind;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Customers speaking real recordings, as the edge publishes them: every 20 ms one audio chunk per session to
 * {@code omni.media.audio}, paced by the wall clock. Each session speaks the librivox utterances of
 * pocketsphinx-testdata one after the other (each session starting with a different one, after a lead that differs
 * per session so that their turns do not line up), with a pause after each, then stays silent until stopped, so
 * every turn can end. The session-clock interval of every utterance is known, so a test can tell which utterance
 * a transcript belongs to and which utterances were in progress at a given moment.
 */
final class SpeechFeeder implements AutoCloseable {
    private static final AvroCodec<MediaChunk> CODEC = AvroCodec.of(MediaChunk.class);
    static final int RATE = 16_000;
    static final int CHUNK = 320;

    /** One utterance of one session, on that session's clock. */
    record Utterance(String sessionId, String reference, long startMicros, long endMicros) {}

    final long originMicros;
    private final List<String> sessions = new ArrayList<>();
    private final List<short[]> timelines = new ArrayList<>();
    private final List<Utterance> utterances = new ArrayList<>();
    private final KafkaProducer<byte[], byte[]> producer;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private volatile long startedAtMillis;
    private volatile Throwable failure;

    /**
     * @param sessions number of speaking sessions
     * @param pauseMillis silence after each utterance (longer than the turn-taking's end-of-turn wait)
     */
    SpeechFeeder(String bootstrap, int sessions, int pauseMillis) throws Exception {
        this.originMicros = (System.currentTimeMillis() / 1000 + 1) * 1_000_000L;
        List<Recordings.Utterance> rec = Recordings.librivox();
        for (int s = 0; s < sessions; s++) {
            String id = sessionId(s);
            int lead = RATE + s * RATE * 7 / 10;
            int pause = pauseMillis * RATE / 1000;
            int total = lead;
            for (Recordings.Utterance u : rec) {
                total += u.samples.length + pause;
            }
            short[] timeline = new short[total];
            int at = lead;
            for (int i = 0; i < rec.size(); i++) {
                Recordings.Utterance u = rec.get((s + i) % rec.size());
                System.arraycopy(u.samples, 0, timeline, at, u.samples.length);
                utterances.add(new Utterance(id, u.transcript, micros(at), micros(at + u.samples.length)));
                at += u.samples.length + pause;
            }
            this.sessions.add(id);
            timelines.add(timeline);
        }
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false); // see SessionFeeder
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 180_000);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 180_000);
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.thread = new Thread(this::feed, "speech-feeder");
        thread.setDaemon(true);
    }

    static String sessionId(int s) {
        return String.format("speaking-session-%02d", s);
    }

    private long micros(long sample) {
        return originMicros + sample * 1_000_000L / RATE;
    }

    List<String> sessions() {
        return sessions;
    }

    List<Utterance> utterances() {
        return utterances;
    }

    /** Session-clock time that the feeder has sent up to, at wall-clock time {@code wallMillis}. */
    long sessionTimeAt(long wallMillis) {
        return originMicros + (wallMillis - startedAtMillis) * 1000;
    }

    /** Wall-clock time at which every session's last utterance has been sent. */
    long speechDoneAtMillis() {
        long last = utterances.stream().mapToLong(Utterance::endMicros).max().orElseThrow();
        return startedAtMillis + (last - originMicros) / 1000;
    }

    SpeechFeeder start() {
        thread.start();
        return this;
    }

    void checkAlive() {
        if (failure != null) {
            throw new IllegalStateException("speech feeder failed", failure);
        }
    }

    private void feed() {
        try {
            long seq = 0;
            long startNanos = System.nanoTime();
            startedAtMillis = System.currentTimeMillis();
            while (running.get()) {
                long wait = startNanos + seq * 20_000_000L - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                long arrival = System.currentTimeMillis() * 1000;
                for (int s = 0; s < sessions.size(); s++) {
                    producer.send(new ProducerRecord<>(OmniTopics.MEDIA_AUDIO, sessions.get(s).getBytes(StandardCharsets.UTF_8),
                            CODEC.encode(chunk(s, seq, arrival))));
                }
                seq++;
            }
            producer.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            failure = t;
        }
    }

    private MediaChunk chunk(int s, long seq, long arrivalMicros) {
        short[] timeline = timelines.get(s);
        ByteBuffer pcm = ByteBuffer.allocate(CHUNK * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < CHUNK; i++) {
            long idx = seq * CHUNK + i;
            pcm.putShort(idx < timeline.length ? timeline[(int) idx] : 0);
        }
        pcm.flip();
        String id = sessions.get(s);
        return MediaChunk.newBuilder()
                .setSessionId(id)
                .setTrackId(id + "-mic")
                .setKind(MediaKind.AUDIO)
                .setSeq(seq)
                .setCaptureTimeMicros(originMicros + seq * 20_000L)
                .setArrivalTimeMicros(arrivalMicros)
                .setDurationMicros(20_000)
                .setSampleRate(RATE)
                .setPayload(pcm)
                .build();
    }

    void stop() throws InterruptedException {
        running.set(false);
        thread.join();
        checkAlive();
    }

    @Override
    public void close() {
        running.set(false);
        producer.close();
    }
}
