package io.isthmus.webroute;

import com.google.inject.Module;
import io.isthmus.core.spi.GatewayPlugin;

/** WebRoute: two clients presenting the same path and {@code WebRoute-ID} are linked byte for byte. */
public final class WebRoutePlugin implements GatewayPlugin<WebRouteConfig> {

    public static final String NAME = "webroute";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<WebRouteConfig> configType() {
        return WebRouteConfig.class;
    }

    @Override
    public Module module(WebRouteConfig config) {
        return new WebRouteModule(config);
    }
}
