package io.omnistream.operators.asr;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.operators.understand.testutils.Recordings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** PocketSphinx through JNA on the real librivox recordings of pocketsphinx-testdata. */
class LibrivoxRecognitionTest {
    private static SphinxDecoderPool pool;

    @BeforeAll
    static void loadDecoder() {
        UnderstandingConfig c = new UnderstandingConfig();
        c.asrDecodersPerInstance = 1;
        c.asrMaxDecodersPerInstance = 1;
        pool = new SphinxDecoderPool(c);
    }

    @AfterAll
    static void close() {
        pool.close();
    }

    @Test
    void recognisesLibrivoxRecordingsWithLowWordErrorRate() throws Exception {
        List<Recordings.Utterance> utterances = Recordings.librivox();
        int errors = 0;
        int words = 0;
        StringBuilder report = new StringBuilder();
        for (Recordings.Utterance u : utterances) {
            SphinxDecoder d = pool.borrow();
            assertThat(d).as("pooled decoder").isNotNull();
            d.start();
            for (int i = 0; i < u.samples.length; i += 640) {
                int n = Math.min(640, u.samples.length - i);
                d.process(java.util.Arrays.copyOfRange(u.samples, i, i + n), n);
            }
            String hyp = d.finish();
            pool.giveBack(d);
            int e = Recordings.wordErrors(u.transcript, hyp);
            errors += e;
            words += Recordings.words(u.transcript);
            report.append(u.id).append('\t').append(e).append('/').append(Recordings.words(u.transcript))
                    .append("\tREF: ").append(u.transcript).append("\tHYP: ").append(hyp).append('\n');
        }
        double wer = (double) errors / words;
        report.append(String.format("WER %.3f (%d/%d)%n", wer, errors, words));
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/asr-librivox-wer.txt"), report);
        assertThat(wer).as(report.toString()).isLessThan(0.40);
    }

    /**
     * PocketSphinx adapts its cepstral mean to what it hears, across utterances: a pooled decoder that just heard
     * another session's quiet, far-off audio would hear the next session through that. Started from a session's own
     * mean, it decodes the same audio to the same text whatever it heard before.
     */
    @Test
    void aDecoderStartsFromTheSessionsOwnCepstralMean() throws Exception {
        List<Recordings.Utterance> utterances = Recordings.librivox();
        SphinxDecoder d = pool.borrow();
        try {
            float[] initial = d.cepstralMean();
            assertThat(initial).as("the live cepstral mean is reachable: mean, sum, frame count").hasSize(27);
            String first = decode(d, null, utterances.get(0).samples);
            float[] afterFirst = d.cepstralMean();
            assertThat(afterFirst).as("adapted to the utterance").isNotEqualTo(initial);

            short[] quiet = utterances.get(1).samples.clone();
            for (int i = 0; i < quiet.length; i++) {
                quiet[i] = (short) (quiet[i] / 20);
            }
            decode(d, null, quiet); // another session, -26 dB
            d.start();
            assertThat(d.cepstralMean()).as("a plain start keeps what the decoder heard").isNotEqualTo(initial);
            d.finish();

            assertThat(decode(d, null, utterances.get(0).samples)).isEqualTo(first);
            assertThat(d.cepstralMean()).isEqualTo(afterFirst);
            d.start(afterFirst);
            assertThat(d.cepstralMean()).isEqualTo(afterFirst);
            d.finish();
        } finally {
            pool.giveBack(d);
        }
    }

    private static String decode(SphinxDecoder d, float[] mean, short[] samples) {
        d.start(mean);
        for (int i = 0; i < samples.length; i += 640) {
            int n = Math.min(640, samples.length - i);
            d.process(java.util.Arrays.copyOfRange(samples, i, i + n), n);
        }
        return d.finish();
    }

    @Test
    void reusesTheSameLoadedDecoderTurnAfterTurn() {
        SphinxDecoder first = pool.borrow();
        pool.giveBack(first);
        SphinxDecoder second = pool.borrow();
        pool.giveBack(second);
        assertThat(second).isSameAs(first);
        assertThat(pool.size()).isEqualTo(1);
    }
}
