#!/bin/sh
# Stages the image's root filesystem (everything but the two apps) in a directory, from the machine that builds:
#   rootfs.sh JAVA_HOME MODULES OUT
# - a Java runtime linked with jlink from JAVA_HOME (the JDK that runs Maven), at /opt/java/openjdk as in
#   eclipse-temurin images;
# - /bin/sh (the entrypoint is a /bin/sh -c script, the same as the Dockerfile's), copied from this machine;
# - the shared libraries those programs load (found with ldd: glibc, zlib, libstdc++, ...), at the same paths;
# - /etc/passwd, /etc/group (user and group 10001 "stripecast"), /etc/nsswitch.conf, an empty /tmp.
# Why: no container registry is reachable where this project builds, so no base image can be pulled; Jib builds
# FROM scratch with this directory as its bottom layer. It needs a Linux build machine with glibc (the runtime is
# this machine's, for this machine's CPU architecture); elsewhere, build the Dockerfile.
set -eu

java_home=$1
modules=$2
out=$3

case "$(uname -s)" in
  Linux) ;;
  *) echo "rootfs.sh: the image's runtime is linked from the build JDK, so the build machine must run Linux (this one: $(uname -s)); build the Dockerfile instead" >&2; exit 1 ;;
esac

rm -rf "$out"
mkdir -p "$out/opt/java" "$out/bin" "$out/etc" "$out/tmp"

"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --output "$out/opt/java/openjdk"

cp -L /bin/sh "$out/bin/sh"

# The libraries each program and library of the runtime links against, copied (symlinks resolved) to the path the
# dynamic linker found them at here. GUI-only libraries of java.desktop (X11, fonts, sound, images) are left out of
# the scan: a headless server never loads them, and what they link against is not in a slim image either.
needed=$(mktemp)
trap 'rm -f "$needed"' EXIT
find "$out/bin" "$out/opt/java/openjdk/bin" "$out/opt/java/openjdk/lib" -type f \( -perm -u+x -o -name '*.so' \) \
  ! -name 'libawt_xawt.so' ! -name 'libsplashscreen.so' ! -name 'libjawt.so' ! -name 'libfontmanager.so' \
  ! -name 'liblcms.so' ! -name 'libjavajpeg.so' ! -name 'libjsound.so' |
while read -r elf; do
  # ldd exits non-zero for files that are not dynamic executables (scripts, static files): skip those.
  LD_LIBRARY_PATH="$out/opt/java/openjdk/lib:$out/opt/java/openjdk/lib/server" ldd "$elf" 2>/dev/null || true
done | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u > "$needed"
while read -r lib; do
  case "$lib" in "$out"/*) continue ;; esac   # the runtime's own libraries are already in place
  mkdir -p "$out$(dirname "$lib")"
  cp -L "$lib" "$out$lib"
done < "$needed"
if ! grep -q 'ld-linux\|ld64\|ld-musl' "$needed"; then
  echo "rootfs.sh: ldd named no dynamic linker for $out/bin/sh and java; cannot stage the libraries" >&2
  exit 1
fi

# A numeric user 10001:10001 like the Dockerfile's useradd, named so that tools which look users up find it.
cat > "$out/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
stripecast:x:10001:10001::/nonexistent:/usr/sbin/nologin
PASSWD
cat > "$out/etc/group" <<'GROUP'
root:x:0:
stripecast:x:10001:
GROUP
# Without this file glibc asks DNS before /etc/hosts.
cat > "$out/etc/nsswitch.conf" <<'NSS'
passwd: files
group: files
hosts: files dns
NSS
