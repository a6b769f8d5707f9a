package io.omnistream.operators.respond;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.operators.understand.UnderstandingConfig;
import io.omnistream.operators.understand.UnderstandingConfig.TextEncoderChoice;
import io.omnistream.schemas.Identifier;
import io.omnistream.schemas.IdentifierType;
import io.omnistream.schemas.ScreenText;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The responder on the project's own MiniLM encoder (gpu-kernels, fp32 model file; its Java twin here, CUDA on a GPU
 * machine) chooses the same answers as on langchain4j's int8 model in ONNX Runtime, the CPU default — the two paths
 * of {@link UnderstandingConfig#textEncoder} mean the same thing to a customer.
 */
class EmbeddedResponderEncodersTest {
    private static EmbeddedResponder onnxRuntime;
    private static EmbeddedResponder omni;

    @BeforeAll
    static void load() {
        UnderstandingConfig ort = new UnderstandingConfig();
        ort.textEncoder = TextEncoderChoice.ONNX_RUNTIME;
        onnxRuntime = new EmbeddedResponder(ort);
        UnderstandingConfig own = new UnderstandingConfig();
        own.textEncoder = TextEncoderChoice.OMNI;
        omni = new EmbeddedResponder(own);
    }

    @Test
    void theChoiceSaysWhichEncoderRuns() {
        assertThat(onnxRuntime.encoderName()).isEqualTo("onnx-runtime-int8");
        assertThat(omni.encoderName()).isIn("omni-twin", "omni-cuda");
    }

    @Test
    void bothEncodersChooseTheSameAnswers() {
        ScreenText login = ScreenText.newBuilder().setSessionId("s").setFrameSeq(1).setCaptureTimeMicros(0)
                .setLines(List.of("Sign in failed", "Error code: AUTH-401"))
                .setIdentifiers(List.of(Identifier.newBuilder().setType(IdentifierType.ERROR_CODE).setValue("AUTH-401").build())).setConfidence(0.9f).build();
        List<String> said = List.of(
                "i am not able to get into my account",
                "the bank refused my credit card",
                "please give me back the money for the shoes",
                "i would like to talk with a real human being",
                "my card was declined",
                "i cannot log in i get an error",
                "where is my parcel it has not arrived yet",
                "how do i change my password",
                "what will the weather be like in paris");
        int nearTies = 0;
        for (String s : said) {
            nearTies += sameMeaning(s, onnxRuntime.answer(s, null), omni.answer(s, null));
            nearTies += sameMeaning(s + " [login error on the screen]", onnxRuntime.answer(s, login), omni.answer(s, login));
        }
        nearTies += sameMeaning("[the screen alone]", onnxRuntime.answer("", login), omni.answer("", login));
        assertThat(nearTies).as("answers that differ at all (each a near tie)").isLessThanOrEqualTo(1);
    }

    /**
     * The same intent; or, where the int8 and the fp32 model disagree, a near tie in both rankings (each one's choice
     * within {@value #TIE} of the other's top score) — returns 1 for such a tie.
     */
    private static int sameMeaning(String what, EmbeddedResponder.Answer a, EmbeddedResponder.Answer b) {
        if (a.intentId.equals(b.intentId)) {
            return 0;
        }
        assertThat(score(a, b.intentId)).as("'%s': onnx runtime %s %s, omni %s %s", what, a, a.ranking, b, b.ranking)
                .isGreaterThanOrEqualTo(a.score - TIE);
        assertThat(score(b, a.intentId)).as("'%s': onnx runtime %s %s, omni %s %s", what, a, a.ranking, b, b.ranking)
                .isGreaterThanOrEqualTo(b.score - TIE);
        return 1;
    }

    private static final double TIE = 0.05;

    private static double score(EmbeddedResponder.Answer a, String intent) {
        return a.ranking.stream().filter(e -> e.getKey().equals(intent)).mapToDouble(java.util.Map.Entry::getValue)
                .findFirst().orElse(Double.NEGATIVE_INFINITY);
    }
}
