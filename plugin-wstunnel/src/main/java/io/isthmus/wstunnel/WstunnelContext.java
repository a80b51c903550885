package io.isthmus.wstunnel;

import io.isthmus.core.frontdoor.HeadLimits;
import io.isthmus.core.splice.SpliceEngine;

/** What the registration and viewer paths share. */
public record WstunnelContext(WstunnelConfig config, TunnelRegistry registry, TunnelTokens tokens, WstunnelMetrics metrics,
                              SpliceEngine splices, HeadLimits headLimits, String urlPrefix) {
}
