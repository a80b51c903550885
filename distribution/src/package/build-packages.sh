#!/usr/bin/env bash
# Run by `mvn package` (distribution/pom.xml) after the executable is built and before the tarball is
# assembled:
#   1. the Java modules the gateway needs, found by jdeps (third-party part cached by the jar's listing),
#   2. a trimmed Java runtime with exactly those modules (jlink) in target/runtime, reused while the
#      module list and the JDK stay the same,
#   3. the Debian package target/isthmus_<version>_<arch>.deb (dpkg-deb; skipped with a warning where
#      dpkg-deb is missing, e.g. on a non-Debian workstation).
# usage: build-packages.sh VERSION TARGET_DIR BASEDIR
set -euo pipefail

version=$1
target=$(cd "$2" && pwd)
basedir=$(cd "$3" && pwd)
fatjar="$target/isthmus-$version-all.jar"
exe="$target/isthmus"
java_home=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}
jdeps="$java_home/bin/jdeps"
jlink="$java_home/bin/jlink"
log() { printf '[packages] %s\n' "$*"; }

# --- 1. modules -----------------------------------------------------------------------------------------
# Modules loaded by name, which jdeps cannot see: elliptic-curve TLS (ECDHE, ECDSA certificates) when the
# JDK's TLS is used instead of BoringSSL.
extra_modules="jdk.crypto.ec"
deps() { "$jdeps" --print-module-deps --ignore-missing-deps --multi-release 17 "$@" | tail -n 1; }
cache="$target/jdeps-cache"
mkdir -p "$cache"
third_party_key=$("$java_home/bin/jar" tf "$fatjar" | grep -v '^io/isthmus/' | LC_ALL=C sort | sha256sum | cut -c1-16)
if [[ -s "$cache/$third_party_key" ]]; then
  third_party=$(cat "$cache/$third_party_key")
else
  log "jdeps: analysing the dependencies (once per dependency set)"
  third_party=$(deps "$fatjar")
  printf '%s\n' "$third_party" > "$cache/$third_party_key"
fi
own=$(deps -include 'io\.isthmus\..*' "$fatjar")
modules=$(printf '%s,%s,%s' "$third_party" "$own" "$extra_modules" | tr ',' '\n' | sed '/^$/d' | LC_ALL=C sort -u | paste -sd, -)
log "modules: $modules"

# --- 2. runtime ---------------------------------------------------------------------------------------
runtime="$target/runtime"
stamp="$modules $("$java_home/bin/java" -version 2>&1 | head -n 1)"
if [[ -x "$runtime/bin/java" && -f "$target/runtime.stamp" && "$(cat "$target/runtime.stamp")" == "$stamp" ]]; then
  log "runtime: up to date ($runtime)"
else
  rm -rf "$runtime" "$target/runtime.stamp"
  # Not --compress: the package and tarball compress it better as a whole (26 MB with gzip, against 33 MB
  # for a zip-compressed image), and an uncompressed image starts faster.
  # --strip-debug also strips native debug symbols, with objcopy (binutils), which a fresh machine with only
  # a JDK and Maven lacks (jlink then fails: 'Cannot run program "objcopy"'); there the Java debug attributes
  # alone are stripped (Debian's native libraries come stripped already).
  strip=--strip-debug
  if ! command -v objcopy >/dev/null 2>&1; then
    strip=--strip-java-debug-attributes
    log "objcopy not found (binutils): stripping Java debug attributes only"
  fi
  "$jlink" --add-modules "$modules" "$strip" --no-header-files --no-man-pages --output "$runtime"
  printf '%s' "$stamp" > "$target/runtime.stamp"
  log "runtime: $(du -sh "$runtime" | cut -f1) in $runtime"
fi

# --- 3. Debian package --------------------------------------------------------------------------------
if ! command -v dpkg-deb >/dev/null 2>&1; then
  log "WARNING: dpkg-deb not found: no Debian package built (apt-get install dpkg)"
  exit 0
fi
arch=$(dpkg --print-architecture)
debversion=${version//-/\~}   # 0.1.0-SNAPSHOT -> 0.1.0~SNAPSHOT, which sorts before the 0.1.0 release
root="$target/deb/root"
rm -rf "$target/deb" "$target"/isthmus_*.deb
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/isthmus/bin" "$root/etc/isthmus" \
  "$root/lib/systemd/system" "$root/usr/share/isthmus/examples" "$root/usr/share/isthmus/monitoring" \
  "$root/usr/share/doc/isthmus"
install -m 0755 "$exe" "$root/usr/lib/isthmus/bin/isthmus"
cp -al "$runtime" "$root/usr/lib/isthmus/runtime"   # hard links: no copy of 80 MB
ln -s ../lib/isthmus/bin/isthmus "$root/usr/bin/isthmus"
install -m 0644 "$basedir/src/dist/conf/isthmus.conf" "$root/etc/isthmus/isthmus.conf"
# The tarball's unit with the package's paths and its system user (DynamicUser= keeps its sandboxing and
# uses the static user when one exists).
{
  printf '# Isthmus as a hardened systemd service, from the Debian package. Start it with\n'
  printf '#   systemctl enable --now isthmus\n'
  sed -n '/^# Before a restart/,$p' "$basedir/src/dist/systemd/isthmus.service"
} | sed -e 's|/opt/isthmus/bin/isthmus|/usr/bin/isthmus|g' \
        -e 's|file:///opt/isthmus/README|file:///usr/share/doc/isthmus/README|' \
        -e 's|^DynamicUser=yes$|User=isthmus\nGroup=isthmus\nDynamicUser=yes|' \
        > "$root/lib/systemd/system/isthmus.service"
chmod 0644 "$root/lib/systemd/system/isthmus.service"
install -m 0644 "$basedir/src/dist/examples/"* "$root/usr/share/isthmus/examples/"
install -m 0644 "$basedir/src/dist/monitoring/"* "$root/usr/share/isthmus/monitoring/"
sed "s/\${project.version}/$version/" "$basedir/src/dist/README" > "$root/usr/share/doc/isthmus/README"
install -m 0644 "$basedir/src/package/deb/copyright" "$root/usr/share/doc/isthmus/copyright"
for script in postinst prerm postrm; do
  install -m 0755 "$basedir/src/package/deb/$script" "$root/DEBIAN/$script"
done
install -m 0644 "$basedir/src/package/deb/conffiles" "$root/DEBIAN/conffiles"
installed_kb=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$debversion/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$installed_kb/" \
  "$basedir/src/package/deb/control" > "$root/DEBIAN/control"
deb="$target/isthmus_${debversion}_${arch}.deb"
# gzip -6: every dpkg reads it, and it takes seconds; xz would save a quarter of the size for a minute
# of CPU on every package build.
dpkg-deb --root-owner-group -Zgzip -z6 --build "$root" "$deb" >/dev/null
log "Debian package: $deb ($(du -h "$deb" | cut -f1))"
