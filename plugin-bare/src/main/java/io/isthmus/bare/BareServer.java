package io.isthmus.bare;

import io.isthmus.core.egress.EgressDialer;
import io.isthmus.core.egress.EgressPolicy;
import io.isthmus.core.splice.SpliceEngine;
import io.netty.handler.ssl.SslContext;

/** What every Bare request needs: config, the origin pool, the meta store, metrics, egress and the splice engine. */
record BareServer(BareConfig config, OriginPool pool, MetaStore metas, BareMetrics metrics, EgressDialer dialer,
                  EgressPolicy policy, SslContext tls, SpliceEngine splices) {
}
