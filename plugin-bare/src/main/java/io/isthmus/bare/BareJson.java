package io.isthmus.bare;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;

/** JSON that travels in a header value: everything beyond ASCII escaped, so the value stays one Latin-1 line. */
final class BareJson {

    private static final ObjectWriter HEADER_SAFE = BareRequests.JSON.writer()
            .with(JsonWriteFeature.ESCAPE_NON_ASCII);

    private BareJson() {
    }

    static String headerSafe(JsonNode node) {
        try {
            return HEADER_SAFE.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }
}
