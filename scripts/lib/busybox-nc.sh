#!/usr/bin/env bash
# Builds busybox's netcat the way the busybox image and Alpine ship it (nc_bloaty: -z, -v), from Debian's own
# busybox source package, for the probe tests in network namespaces.
#
# Why: Debian's busybox binary packages (busybox, busybox-static) build the small nc, which has neither -z nor -v,
# so the pods' probe `nc -vv -z -w T <ClusterIP> <port>` cannot run with them. networking/nc_bloaty.c,
# networking/nslookup.c and coreutils/timeout.c are the same files in Debian's 1.35.0 source and in busybox 1.36.1
# (the debug image), so this binary prints what the image prints.
#
#   bash scripts/lib/busybox-nc.sh [DIR]           build DIR/busybox unless it is there and its nc takes -z
#   bash scripts/lib/busybox-nc.sh --check [DIR]   exit 0 if it is, 1 if not; builds nothing (npm test's check)
#   DIR: $BUSYBOX_NC_DIR, else <repo>/.tools/busybox-nc (git-ignored .tools)
#
# Needs apt access to Debian source packages (deb-src twins of this machine's own apt sources are set up in a private
# apt state: /etc/apt is not touched, and no root is needed), dpkg-dev, gcc, libc6-dev, make, bzip2, xz-utils.
# Takes about 30 s.
set -euo pipefail

check_only=false
if [[ ${1:-} == --check ]]; then
  check_only=true
  shift
fi
# no dirname: the check also runs with an empty PATH
here=${BASH_SOURCE[0]%/*}
[[ $here == "${BASH_SOURCE[0]}" ]] && here=.
repo=$(cd "$here/../.." && pwd)
dest=${1:-${BUSYBOX_NC_DIR:-$repo/.tools/busybox-nc}}

has_bloaty_nc() {
  # the small nc refuses -z; nc_bloaty accepts it and reports the refused connect to a closed port
  local out
  [[ -x $1 ]] || return 1
  out=$("$1" nc -vv -z -w 1 127.0.0.1 1 2>&1 || true)
  [[ $out == *'(127.0.0.1:1)'* ]]
}

if $check_only; then
  has_bloaty_nc "$dest/busybox" || { echo "no busybox with nc -z at $dest/busybox" >&2; exit 1; }
  echo "busybox with nc -z at $dest/busybox"
  exit 0
fi
if has_bloaty_nc "$dest/busybox"; then
  echo "busybox with nc -z already at $dest/busybox"
  exit 0
fi

for tool in apt-get dpkg-source gcc make bzip2 xz; do
  command -v "$tool" >/dev/null || { echo "busybox-nc: $tool is missing (apt-get install dpkg-dev gcc libc6-dev make bzip2 xz-utils)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/parts" "$work/lists/partial"

# deb-src twins of the machine's apt sources, deb822 (.sources) and one-line (.list) forms
for f in /etc/apt/sources.list.d/*.sources; do
  [[ -e $f ]] || continue
  sed -E 's/^Types:.*/Types: deb-src/' "$f" >"$work/parts/$(basename "$f")"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [[ -e $f ]] || continue
  sed -nE 's/^deb[[:space:]]+/deb-src /p' "$f" >"$work/parts/$(basename "$f" .list)-src.list"
done

apt=(apt-get -qq -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$work/parts"
  -o "Dir::State::Lists=$work/lists" -o "APT::Sandbox::User=root")
"${apt[@]}" update
(cd "$work" && "${apt[@]}" source --download-only busybox >/dev/null)
dsc=$(echo "$work"/busybox_*.dsc)
dpkg-source --no-check -x "$dsc" "$work/src" >/dev/null

cd "$work/src"
make -s allnoconfig >/dev/null
for opt in NC NC_SERVER NC_EXTRA NC_110_COMPAT NSLOOKUP FEATURE_NSLOOKUP_BIG TIMEOUT TRUE SLEEP FEATURE_IPV6 LONG_OPTS; do
  sed -i "s/^# CONFIG_${opt} is not set\$/CONFIG_${opt}=y/" .config
done
make -s oldconfig </dev/null >/dev/null
grep -q '^CONFIG_NC_110_COMPAT=y' .config || { echo "busybox-nc: NC_110_COMPAT did not stay enabled" >&2; exit 1; }
make -s -j"$(nproc)" busybox >/dev/null

mkdir -p "$dest"
install -m 0755 busybox "$dest/busybox"
has_bloaty_nc "$dest/busybox" || { echo "busybox-nc: the built nc does not accept -z" >&2; exit 1; }
echo "built $(basename "$dsc" .dsc) (Debian source, nc with -z) at $dest/busybox"
