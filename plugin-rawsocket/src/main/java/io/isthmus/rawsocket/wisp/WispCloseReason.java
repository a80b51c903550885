package io.isthmus.rawsocket.wisp;

import io.isthmus.core.egress.EgressRefusedException;
import io.isthmus.core.mux.MuxCloseReason;
import io.netty.channel.ConnectTimeoutException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.util.Locale;

/** Wisp's CLOSE reasons (protocol.md; bare-and-wisp.md §B.6), and how the gateway's events map onto them. */
public enum WispCloseReason {
    UNKNOWN(0x01),
    VOLUNTARY(0x02),
    NETWORK_ERROR(0x03),
    INCOMPATIBLE_EXTENSIONS(0x04),
    INVALID_INFO(0x41),
    UNREACHABLE(0x42),
    CONNECT_TIMEOUT(0x43),
    REFUSED(0x44),
    DATA_TIMEOUT(0x47),
    BLOCKED(0x48),
    THROTTLED(0x49),
    CLIENT_ERROR(0x81),
    BAD_PASSWORD(0xc0),
    BAD_SIGNATURE(0xc1),
    MISSING_CREDENTIALS(0xc2);

    private final int code;
    private final String label;

    WispCloseReason(int code) {
        this.code = code;
        this.label = name().toLowerCase(Locale.ROOT);
    }

    public int code() {
        return code;
    }

    /** The metric label, e.g. {@code connect_timeout}. */
    public String label() {
        return label;
    }

    /** The reason a stream closed with, as the client must hear it. */
    public static WispCloseReason of(MuxCloseReason reason) {
        return switch (reason) {
            case NORMAL -> VOLUNTARY;
            case IDLE -> DATA_TIMEOUT;
            case TIMEOUT -> CONNECT_TIMEOUT;
            case REFUSED -> REFUSED;
            case UNREACHABLE -> UNREACHABLE;
            case BLOCKED -> BLOCKED;
            case OVERRUN -> THROTTLED;
            case PROTOCOL_ERROR -> INVALID_INFO;
            case SHUTDOWN -> UNKNOWN;
            case RESET, SESSION_CLOSED -> NETWORK_ERROR;
        };
    }

    /** The reason a client's CLOSE carries, as the splice should see it (voluntary is an orderly close). */
    public static MuxCloseReason fromClient(int code) {
        return code == VOLUNTARY.code ? MuxCloseReason.NORMAL : MuxCloseReason.RESET;
    }

    /** Why a CONNECT's dial failed: a policy refusal, a refused or unreachable target, a timeout. */
    public static MuxCloseReason ofDialFailure(Throwable cause) {
        if (cause instanceof EgressRefusedException e) {
            return switch (e.refusal().reason()) {
                case RESOLUTION_FAILED, NO_ADDRESS -> MuxCloseReason.UNREACHABLE;
                case INVALID_TARGET -> MuxCloseReason.PROTOCOL_ERROR;
                default -> MuxCloseReason.BLOCKED;
            };
        }
        if (cause instanceof ConnectTimeoutException) {
            return MuxCloseReason.TIMEOUT;
        }
        if (cause instanceof NoRouteToHostException) {
            return MuxCloseReason.UNREACHABLE;
        }
        String message = String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
        if (cause instanceof ConnectException && message.contains("refused")) {
            return MuxCloseReason.REFUSED;
        }
        if (message.contains("timed out")) {
            return MuxCloseReason.TIMEOUT;
        }
        return MuxCloseReason.UNREACHABLE;
    }
}
