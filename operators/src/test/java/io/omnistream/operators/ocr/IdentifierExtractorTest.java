package io.omnistream.operators.ocr;

import static org.assertj.core.api.Assertions.assertThat;

import io.omnistream.schemas.Identifier;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class IdentifierExtractorTest {
    private static List<String> ids(String text) {
        return IdentifierExtractor.extract(text).stream().map(i -> i.getType() + ":" + i.getValue()).collect(Collectors.toList());
    }

    @Test
    void findsHexErrorCodesAndRepairsOcrConfusions() {
        assertThat(ids("Error code: 0x80070005")).containsExactly("ERROR_CODE:0x80070005");
        assertThat(ids("Error code: Ox8OO7OOOS")).containsExactly("ERROR_CODE:0x80070005");
        assertThat(ids("failed with 0x8024402c")).containsExactly("ERROR_CODE:0x8024402C");
    }

    @Test
    void tellsOrderNumbersFromDashedErrorCodes() {
        assertThat(ids("Error E-4021: declined. Order number: ORD-7731945"))
                .containsExactly("ERROR_CODE:E-4021", "ORDER_NUMBER:ORD-7731945");
        assertThat(ids("Order # 55201842")).containsExactly("ORDER_NUMBER:55201842");
    }

    @Test
    void findsUrlsEmailsAndBrowserErrorConstants() {
        assertThat(ids("ERR_CONNECTION_REFUSED at www.portal.example.org/login. Mail help@example.com or see https://support.example.com/a?b=1."))
                .containsExactly("ERROR_CODE:ERR_CONNECTION_REFUSED", "URL:www.portal.example.org/login",
                        "URL:https://support.example.com/a?b=1", "EMAIL:help@example.com");
    }

    @Test
    void findsNothingInOrdinaryText() {
        List<Identifier> none = IdentifierExtractor.extract("We couldn't sign you in. Please try again later.");
        assertThat(none).isEmpty();
    }
}
