package io.isthmus.core.reload;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGHUP as "reload". By default the JVM treats HUP like TERM (runs the shutdown hooks, exits 129), so the
 * handler must be installed explicitly, through {@code sun.misc.Signal} (module {@code jdk.unsupported}),
 * reached by reflection so that the code compiles without warnings and a JVM without it just logs.
 */
public final class HangupSignal {

    private static final Logger LOG = LoggerFactory.getLogger(HangupSignal.class);

    private HangupSignal() {
    }

    /** Runs {@code action} on every SIGHUP (on the JVM's signal thread: hand heavy work off); false if unsupported. */
    public static boolean install(Runnable action) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Object hup = signal.getConstructor(String.class).newInstance("HUP");
            InvocationHandler body = (proxy, method, args) -> switch (method.getName()) {
                case "handle" -> {
                    action.run();
                    yield null;
                }
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                case "toString" -> "isthmus SIGHUP handler";
                default -> null;
            };
            Object handler = Proxy.newProxyInstance(HangupSignal.class.getClassLoader(), new Class<?>[] {handlerType}, body);
            signal.getMethod("handle", signal, handlerType).invoke(null, hup, handler);
            return true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.warn("cannot handle SIGHUP ({}); reload with the file watcher (isthmus.reload.watch) instead", e.toString());
            return false;
        }
    }
}
