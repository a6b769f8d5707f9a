package io.omnistream.operators.respond;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.schemas.Identifier;
import io.omnistream.schemas.IdentifierType;
import io.omnistream.schemas.ScreenText;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The knowledge base matched with the real all-MiniLM-L6-v2 model. */
class EmbeddedResponderTest {
    private static EmbeddedResponder responder;

    @BeforeAll
    static void load() {
        responder = new EmbeddedResponder(new UnderstandingConfig());
    }

    private static ScreenText screen(List<String> lines, Identifier... ids) {
        return ScreenText.newBuilder().setSessionId("s").setFrameSeq(1).setCaptureTimeMicros(0).setLines(lines)
                .setIdentifiers(List.of(ids)).setConfidence(0.9f).build();
    }

    @Test
    void matchesParaphrasesThatAreNotInTheKnowledgeBase() {
        assertThat(responder.answer("i am not able to get into my account", null).intentId).isEqualTo("login_problem");
        assertThat(responder.answer("the bank refused my credit card", null).intentId).isEqualTo("payment_failed");
        assertThat(responder.answer("please give me back the money for the shoes", null).intentId).isEqualTo("refund");
        assertThat(responder.answer("i would like to talk with a real human being", null).intentId).isEqualTo("talk_to_human");
    }

    @Test
    void namesTheErrorCodeSeenOnTheScreen() {
        ScreenText s = screen(List.of("Sign in failed", "Access is denied.", "Error code: 0x80070005"),
                Identifier.newBuilder().setType(IdentifierType.ERROR_CODE).setValue("0x80070005").build());
        EmbeddedResponder.Answer a = responder.answer("i cannot log in i get an error", s);
        assertThat(a.intentId).isEqualTo("login_problem");
        assertThat(a.text).contains("0x80070005").doesNotContain("{");
    }

    @Test
    void answersWithoutSlotsWhenTheScreenShowsNoIdentifier() {
        EmbeddedResponder.Answer a = responder.answer("my device shows an error code", null);
        assertThat(a.intentId).isEqualTo("device_error");
        assertThat(a.text).doesNotContain("{");
    }

    @Test
    void theScreenAloneCanCarryAGarbledTranscript() {
        ScreenText s = screen(List.of("Payment declined", "Your transaction could not be completed.", "Error E-4021"),
                Identifier.newBuilder().setType(IdentifierType.ERROR_CODE).setValue("E-4021").build());
        assertThat(responder.answer("", s).intentId).isEqualTo("payment_failed");
    }

    @Test
    void clearWordsWinOverADifferentScreen() {
        ScreenText login = screen(List.of("Sign in failed", "Access is denied.", "Error code: 0x80070005"),
                Identifier.newBuilder().setType(IdentifierType.ERROR_CODE).setValue("0x80070005").build());
        assertThat(responder.answer("my card was declined", login).intentId).isEqualTo("payment_failed");
        assertThat(responder.answer("the ah like an odd lot you on get a new", login).intentId).isEqualTo("login_problem");
    }

    @Test
    void fallsBackWhenNothingFits() {
        EmbeddedResponder.Answer a = responder.answer("what will the weather be like in paris", null);
        assertThat(a.intentId).isEqualTo("fallback");
        assertThat(a.text).isEqualTo(responder.knowledgeBase().fallback.answer);
    }
}
