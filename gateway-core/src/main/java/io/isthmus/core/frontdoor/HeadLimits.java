package io.isthmus.core.frontdoor;

import io.isthmus.core.config.GatewayConfig.LimitsConfig;

/** The front door's limits on a request head, in bytes and fields. */
public record HeadLimits(int maxRequestLine, int maxHeaderBytes, int maxHeaders) {

    public static HeadLimits from(LimitsConfig config) {
        return new HeadLimits(config.maxRequestLine().toIntBytes(), config.maxHeadBytes().toIntBytes(), config.maxHeaders());
    }
}
