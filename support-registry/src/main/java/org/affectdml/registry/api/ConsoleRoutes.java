package org.affectdml.registry.api;

import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/** The console is served from META-INF/resources/console; its bare path redirects there, so relative URLs resolve. */
@ApplicationScoped
public class ConsoleRoutes {

    void install(@Observes Router router) {
        router.routeWithRegex("^/console$").handler(ctx -> ctx.redirect("/console/"));
    }
}
