#!/usr/bin/env bash
# Checks that the README's two commands work on a fresh, minimal Debian 12: builds a bookworm
# root with debootstrap (from this machine's own apt source), copies the committed tree into
# it (a clone of HEAD: what a newcomer gets) and runs the commands inside, as root.
#
#   scripts/fresh-debian-check.sh [--stage deps|build|all] [--nspawn] [--keep] [WORKDIR]
#
#   --stage deps    install-deps.sh only (the packages the README's commands need)
#   --stage build   install-deps.sh, then configure and build as scripts/test.sh does
#   --stage all     ./scripts/run.sh and ./scripts/test.sh, as the README says (default)
#   --nspawn        run inside systemd-nspawn instead of chroot (needs a systemd host)
#   --keep          keep WORKDIR (default: a new folder under /var/tmp, removed at the end)
# Prints each step's time; exits non-zero if a step fails. Needs root and network (apt).
set -euo pipefail
stage=all
use_nspawn=0
keep=0
work=
while [ $# -gt 0 ]; do
  case "$1" in
    --stage) stage=${2:?--stage needs deps, build or all}; shift 2 ;;
    --nspawn) use_nspawn=1; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "fresh-debian-check: unknown option $1" >&2; exit 2 ;;
    *) work=$1; shift ;;
  esac
done
case "$stage" in deps|build|all) ;; *) echo "fresh-debian-check: --stage is deps, build or all" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "fresh-debian-check: run as root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "fresh-debian-check: apt-get install debootstrap" >&2; exit 1; }
repo=$(cd "$(dirname "$0")/.." && pwd)

# This machine's own Debian mirror (deb822 or one-line sources), else the public one.
mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)[[:space:]]*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

[ -n "$work" ] || work=$(mktemp -d /var/tmp/kiosk-fresh-debian-XXXXXX)
root="$work/root"
mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  [ $keep -eq 1 ] || rm -rf --one-file-system "$work"
}
trap cleanup EXIT

t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 )) s"; }
step() { echo "== [$(elapsed)] $*"; }

if [ ! -x "$root/bin/bash" ]; then
  step "debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; echo "fresh-debian-check: debootstrap failed" >&2; exit 1; }
  # The same sources as this machine (security and updates too), so versions match.
  if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
    cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/"
    rm -f "$root/etc/apt/sources.list"
  fi
fi

# A network that inspects TLS (a proxy with its own CA) needs that CA on every machine behind it,
# a fresh one too: this machine's local CAs go into the new root, where the ca-certificates
# package (installed by install-deps.sh) trusts them. On an ordinary network there are none.
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi

# A minimal Debian has no git; the tree is copied in as a clone of what is committed.
step "clone $repo (HEAD) into the new root"
rm -rf "$root/root/kiosk"
git clone --quiet --no-hardlinks "$repo" "$root/root/kiosk"
git -C "$root/root/kiosk" checkout --quiet "$(git -C "$repo" rev-parse HEAD)"

case "$stage" in
  deps) inner='./scripts/install-deps.sh' ;;
  build) inner='./scripts/install-deps.sh && cmake -S . -B build -DKIOSK_WERROR=ON >/dev/null && cmake --build build -j"$(nproc)"' ;;
  all) inner='./scripts/run.sh && ./scripts/test.sh' ;;
esac
# Each command's own time, so TESTING.md can say what took how long.
script="set -e; cd /root/kiosk; export HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive
if command -v update-ca-certificates >/dev/null; then update-ca-certificates >/dev/null; fi  # a kept root
s=\$(date +%s); bash -c $(printf '%q' "$inner"); echo \"== inside: \$(( \$(date +%s) - s )) s for: $inner\""

if [ $use_nspawn -eq 1 ]; then
  step "systemd-nspawn: $inner"
  systemd-nspawn --quiet --as-pid2 -D "$root" --setenv=TERM=dumb bash -c "$script"
else
  for m in proc sys dev dev/pts; do
    mkdir -p "$root/$m"
    case $m in
      proc) mount -t proc proc "$root/proc" ;;
      sys) mount --rbind /sys "$root/sys"; mount --make-rslave "$root/sys" ;;
      dev) mount --rbind /dev "$root/dev"; mount --make-rslave "$root/dev" ;;
      dev/pts) continue ;;  # came with the bind of /dev
    esac
    mounted+=("$root/$m")
  done
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  step "chroot: $inner"
  chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
    bash -c "$script"
fi
step "done: the README's commands ($stage) worked on a fresh Debian 12"
