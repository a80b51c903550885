#!/bin/sh
# Isthmus: this file is a POSIX sh launcher with the gateway's jar appended after it. Java finds a jar's
# index at its end, so the bytes above are skipped and `java -jar isthmus` works on this same file.
#
# The Java runtime: the trimmed one installed next to this file (../runtime, in the tarball and the Debian
# package), else JAVA_HOME, else `java` on PATH. JAVA_OPTS adds JVM flags after ours, so it can override
# them, e.g. JAVA_OPTS="-Xmx2g -XX:+UseZGC".
self=$(readlink -f "$0" 2>/dev/null || printf '%s' "$0")
bundled="${self%/bin/*}/runtime"
if [ -x "$bundled/bin/java" ]; then
  java_cmd="$bundled/bin/java"
elif [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  java_cmd="$JAVA_HOME/bin/java"
else
  java_cmd=java
fi
# --add-opens and tryReflectionSetAccessible let Netty reach direct-buffer internals without warnings;
# ExitOnOutOfMemoryError hands a broken JVM to the supervisor (systemd Restart=on-failure) instead of
# limping on. exec keeps one process, so SIGTERM reaches the JVM and starts the drain.
# shellcheck disable=SC2086 # JAVA_OPTS is a list of words on purpose.
exec "$java_cmd" \
  -XX:+ExitOnOutOfMemoryError \
  -Dio.netty.tryReflectionSetAccessible=true \
  --add-opens java.base/java.nio=ALL-UNNAMED \
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
  ${JAVA_OPTS:-} \
  -jar "$0" "$@"
