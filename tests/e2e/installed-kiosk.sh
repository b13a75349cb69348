#!/usr/bin/env bash
# The installed kiosk, end to end (issue 15), as an admin and a citizen would meet it:
#   1. build the .deb, `apt-get install ./…deb`;
#   2. a real CUPS queue for a network printer (a second CUPS sharing a queue over IPP), a real
#      RabbitMQ with AMQP 1.0, the platform simulator, SANE's pnm backend as the glass;
#   3. `kioskctl setup … --certs-from DIR … --pin-stdin` as ADMIN.md documents;
#   4. the real `kiosk` binary as the kiosk user with the installed configuration under Xvfb,
#      driven by real pointer events (xdotool) on its window (citizen-session.py): a form
#      filled in, printed through CUPS, the printed file taken from the printer, signed with a
#      pen (`kiosk-demo fill-sheet`), laid on the glass, scanned, read, sent;
#   5. delivery by the delivery unit's own command line as the kiosk user, with the broker
#      down first (nothing lost), then up: the simulator holds it exactly once, the receipt
#      comes back, the store keeps no personal data of it;
#   6. nothing with personal data left in /tmp, /var/tmp, the CUPS spool; the doctor has no
#      failed line; `apt-get purge` leaves nothing.
# systemd is not PID 1 on the CI machine, so the units are not started: the test runs their
# ExecStart command lines itself as the kiosk user. The screen runs under Xvfb, not cage.
#   KIOSK_PACKAGE_TESTS=1 installed-kiosk.sh BUILD_DIR      (as root; CI sets it)
set -uo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
pkg=helsenorge-kiosk
state=/var/lib/helsenorge-kiosk
conf_dir=/etc/helsenorge-kiosk
conf=$conf_dir/kiosk.toml

skip() { echo "SKIP: $*"; exit 77; }
[ "${KIOSK_PACKAGE_TESTS:-0}" = 1 ] ||
  skip "the installed-kiosk test installs a package on this machine; run it with KIOSK_PACKAGE_TESTS=1 (CI does)"
[ "$(id -u)" -eq 0 ] || skip "the installed-kiosk test needs root (apt-get install, runuser)"
for tool in Xvfb xdotool cupsd lpadmin lpstat cupsenable cupsdisable python3 apt-get runuser \
  /usr/lib/rabbitmq/bin/rabbitmq-server sqlite3; do
  command -v "$tool" >/dev/null || skip "$tool is missing (./scripts/install-deps.sh installs it)"
done

work=$(mktemp -d /tmp/kiosk-e2e-XXXXXX)
chmod 0755 "$work"
failures=0
pids=()
mounted=()
user_existed=0
getent passwd kiosk >/dev/null && user_existed=1
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
die() { echo "FAIL: $*"; failures=$((failures + 1)); exit 1; }
step() { echo "== $(date +%T) $*"; }
status() { dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # PORT SECONDS
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
as_kiosk() { runuser -u kiosk -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=$state "${kiosk_env[@]}" "$@"; }

stop_broker() {
  [ -n "${broker_pid:-}" ] || return 0
  kill "$broker_pid" 2>/dev/null
  for _ in $(seq 150); do kill -0 "$broker_pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$broker_pid" 2>/dev/null
  # epmd detaches: end the one on our private port.
  pkill -f "epmd.*-port $epmd_port" 2>/dev/null
  for pid in $(pgrep epmd); do
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "ERL_EPMD_PORT=$epmd_port" && kill "$pid"
  done
  sleep 0.5
  broker_pid=
}
start_broker() {
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work/rabbit/home" \
    RABBITMQ_MNESIA_BASE="$work/rabbit/mnesia" RABBITMQ_LOG_BASE="$work/rabbit/log" \
    RABBITMQ_FEATURE_FLAGS_FILE="$work/rabbit/feature_flags" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$work/rabbit/enabled_plugins" RABBITMQ_CONFIG_FILE="$work/rabbit/rabbitmq.conf" \
    RABBITMQ_NODENAME="kiosk-e2e-$$@localhost" RABBITMQ_DIST_PORT="$dist_port" ERL_EPMD_PORT="$epmd_port" \
    RABBITMQ_PID_FILE="$work/rabbit/pid" \
    /usr/lib/rabbitmq/bin/rabbitmq-server >>"$work/rabbit/broker.log" 2>&1 &
  broker_pid=$!
  wait_port "$amqp_port" 90 || { tail -30 "$work/rabbit/broker.log"; die "RabbitMQ did not start"; }
}

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for dir in "${mounted[@]}"; do umount "$dir" 2>/dev/null && rmdir "$dir" 2>/dev/null; done
  stop_broker
  if status | grep -q 'installed\|config-files'; then
    KIOSK_PURGE_FORCE=1 apt-get purge -y -qq "$pkg" >/dev/null 2>&1 || KIOSK_PURGE_FORCE=1 dpkg --purge "$pkg" >/dev/null 2>&1
  fi
  if [ $user_existed -eq 0 ] && getent passwd kiosk >/dev/null; then
    deluser --system --quiet kiosk >/dev/null 2>&1 || userdel kiosk
  fi
  [ $user_existed -eq 0 ] && getent group kiosk >/dev/null && { delgroup --system --quiet kiosk >/dev/null 2>&1 || groupdel kiosk; }
  [ "${policy_added:-0}" = 1 ] && rm -f /usr/sbin/policy-rc.d
  if [ $failures -gt 0 ] || [ "${keep_work:-0}" = 1 ]; then
    echo "(the test's files are kept in $work)"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

if [ -d /run/systemd/system ] && [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_added=1
fi
if status | grep -q 'installed\|config-files'; then
  echo "note: $pkg was already on this machine; purging it first"
  KIOSK_PURGE_FORCE=1 dpkg --purge "$pkg" >/dev/null || die "cannot purge the old $pkg"
fi

step "build the package"
mkdir -p "$work/deb"
# Into the test's own folder: the package test may build its own in the build tree.
cpack --config "$build/CPackConfig.cmake" -B "$work/deb" -D CPACK_OUTPUT_FILE_PREFIX="$work/deb" >"$work/cpack.log" 2>&1 ||
  { tail -30 "$work/cpack.log"; die "cpack failed"; }
deb=$(ls "$work"/deb/${pkg}_*.deb 2>/dev/null | head -1)
[ -f "$deb" ] || die "no .deb was built"

step "install it as ADMIN.md says: apt-get install ./$(basename "$deb")"
(cd "$work/deb" && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$(basename "$deb")") >"$work/apt.log" 2>&1 ||
  { tail -30 "$work/apt.log"; die "apt-get install failed"; }
[ -x /usr/bin/kiosk ] && [ -x /usr/bin/kioskctl ] || die "the package did not install /usr/bin/kiosk and kioskctl"
[ -f $state/qr-mac.key ] || fail "the package made no QR code key"

step "CUPS with a queue for a network (IPP) printer"
# Two private cupsd (own ports, configuration, spools), so the test never changes the machine's
# printers: "the printer" is a CUPS that shares a queue over IPP and keeps each document it
# receives in a file (what came out of the printer); the kiosk's CUPS has the queue Kiosk_E2E
# that sends to it with the ipp backend, as a queue for a network printer does. The kiosk
# reaches its CUPS through CUPS_SERVER. (ippeveprinter, the IPP Everywhere test printer, cannot
# run here: Debian's build needs a running Avahi daemon and exits with "Unable to initialize
# DNS-SD".) The queue is raw: the kiosk sends PDF and the test printer keeps it as PDF.
start_cupsd() {  # DIR PORT
  local dir=$1 port=$2 backend
  mkdir -p "$dir"/{conf,spool/tmp,cache,state,log,bin/backend}
  for sub in filter daemon cgi-bin; do ln -s /usr/lib/cups/$sub "$dir/bin/$sub"; done
  for backend in /usr/lib/cups/backend/*; do ln -s "$backend" "$dir/bin/backend/"; done
  printf '%s\n' "Listen 127.0.0.1:$port" "LogLevel info" "WebInterface No" "Browsing Off" "DefaultAuthType None" \
    "DefaultShared Yes" "<Location />" "  Order allow,deny" "  Allow all" "</Location>" "<Policy default>" \
    "  <Limit All>" "    Order deny,allow" "    Allow all" "  </Limit>" "</Policy>" >"$dir/conf/cupsd.conf"
  printf '%s\n' "ServerRoot $dir/conf" "RequestRoot $dir/spool" "TempDir $dir/spool/tmp" "CacheDir $dir/cache" \
    "StateDir $dir/state" "ErrorLog $dir/log/error_log" "AccessLog $dir/log/access_log" \
    "PageLog $dir/log/page_log" "ServerBin $dir/bin" "DataDir /usr/share/cups" "Printcap $dir/printcap" \
    >"$dir/conf/cups-files.conf"
  cupsd -f -c "$dir/conf/cupsd.conf" -s "$dir/conf/cups-files.conf" &
  pids+=($!)
  wait_port "$port" 20 || { cat "$dir/log/error_log"; die "cupsd did not start"; }
}
printer_port=$(free_port)
mkdir -p "$work/printer/out"
start_cupsd "$work/printer" "$printer_port"
cat >"$work/printer/bin/backend/keepfile" <<'BACKEND'
#!/bin/sh
# A printer that keeps each job it prints as a file: job-ID.out.
[ $# -eq 0 ] && { echo 'direct keepfile "Unknown" "Keep each job in a file"'; exit 0; }
out="${DEVICE_URI#keepfile:}"
if [ -n "$6" ]; then cat "$6" >"$out/job-$1.tmp"; else cat >"$out/job-$1.tmp"; fi
chmod 0644 "$out/job-$1.tmp" && mv "$out/job-$1.tmp" "$out/job-$1.out"
BACKEND
chmod 0700 "$work/printer/bin/backend/keepfile"
CUPS_SERVER=127.0.0.1:$printer_port lpadmin -p Printer -E -v "keepfile:$work/printer/out" -o printer-is-shared=true ||
  die "lpadmin could not add the test printer"
cups_port=$(free_port)
cups=$work/cups
start_cupsd "$cups" "$cups_port"
export CUPS_SERVER=127.0.0.1:$cups_port
lpadmin -p Kiosk_E2E -E -v "ipp://127.0.0.1:$printer_port/printers/Printer" -o media-default=iso_a4_210x297mm \
  >"$work/lpadmin.log" 2>&1 || { cat "$work/lpadmin.log" "$cups/log/error_log"; die "lpadmin could not add the kiosk's queue"; }

step "a RabbitMQ with AMQP 1.0, TEST certificates on a 'USB stick', the platform simulator"
amqp_port=$(free_port) dist_port=$(free_port) epmd_port=$(free_port)
mkdir -p "$work/rabbit"/{mnesia,log,home}
echo '[rabbitmq_amqp1_0].' >"$work/rabbit/enabled_plugins"
printf 'listeners.tcp.1 = 127.0.0.1:%s\nloopback_users = none\nmanagement.tcp.port = %s\n' \
  "$amqp_port" "$(free_port)" >"$work/rabbit/rabbitmq.conf"
start_broker
broker_url="amqp://guest:guest@127.0.0.1:$amqp_port"
# The operator's side: TEST certificates and the simulator's configuration (demo-env).
kioskctl demo-env --out "$work/platform" --broker "$broker_url" >/dev/null || die "kioskctl demo-env failed"
usb=$work/usb
mkdir -p "$usb"
c=$work/platform/certs
cp "$c/kiosk-signing.pem" "$usb/signing.pem"
cp "$c/kiosk-signing.key" "$usb/signing.key"
cp "$c/kiosk-decryption.pem" "$usb/decryption.pem"
cp "$c/kiosk-decryption.key" "$usb/decryption.key"
cp "$c/platform-encryption.pem" "$usb/platform-encryption.pem"
cp "$c/platform-signing.pem" "$usb/platform-signing.pem"
cp "$c/ca.pem" "$usb/ca.pem"
platform-sim() { "$build/bin/platform-sim" "$@"; }
# The simulator ends when its broker goes away (it is a stand-in, not a product): started again
# with the broker.
start_platform() {
  "$build/bin/platform-sim" serve --config "$work/platform/kiosk.toml" --timeout 900 >>"$work/platform-sim.log" 2>&1 &
  pids+=($!)
}
start_platform

step "the glass: SANE's pnm backend"
mkdir -p "$work/sane"
echo pnm >"$work/sane/dll.conf"
glass=$work/glass/sheet.pgm
mkdir -p "$work/glass"
chown kiosk "$work/glass"
# Until the sheet is laid on it, the glass holds a blank page.
python3 -c "import sys; sys.stdout.buffer.write(b'P5\n2480 3508\n255\n' + b'\xff' * (2480 * 3508))" >"$glass"
kiosk_env=(CUPS_SERVER="$CUPS_SERVER" SANE_CONFIG_DIR="$work/sane")

step "set the kiosk up from ssh, as ADMIN.md says"
echo 482913 | env SANE_CONFIG_DIR="$work/sane" kioskctl setup \
  --site-name "E2E-biblioteket" --kiosk-id kiosk-0001 \
  --printer Kiosk_E2E --scanner pnm:0 --set "scanner.options=filename=$glass" \
  --broker "$broker_url" --reply-queue kiosk-0001_async \
  --certs-from "$usb" --languages nb,nn,en --default-language nb \
  --set broker.kiosk_her_id=8142519 --set broker.platform_her_id=8093240 --set broker.cpa_id=demo-cpa \
  --staff-id 1001 --staff-name "Kari N" --pin-stdin --test-print >"$work/setup.log" 2>&1 ||
  { cat "$work/setup.log"; die "kioskctl setup failed"; }
cat "$work/setup.log"
for _ in $(seq 60); do ls "$work"/printer/out/*.out >/dev/null 2>&1 && break; sleep 0.5; done
ls "$work"/printer/out/*.out >/dev/null 2>&1 || fail "--test-print printed nothing on the printer within 30 s"

# The setup's test page (no personal data) is the only job CUPS has seen so far.
spool_before=$(find "$cups/spool" -maxdepth 1 -type f -name 'd*' | sort)

step "kioskctl print as the kiosk user (the held-out check)"
as_kiosk kioskctl print organdonasjon --lang nb --out "$work/glass/check.pdf" >"$work/print-check.log" 2>&1 ||
  { cat "$work/print-check.log"; fail "kioskctl print as the kiosk user failed"; }
rm -f "$work/glass/check.pdf"

step "kioskctl doctor, as root from ssh (it decrypts the store key credential to check the store)"
SANE_CONFIG_DIR="$work/sane" kioskctl doctor >"$work/doctor-1.log" 2>&1
cat "$work/doctor-1.log"
grep -q '^failed' "$work/doctor-1.log" && fail "kioskctl doctor has a failed line after setup"

step "what the units give the kiosk user: the store key credential, a tmpfs for scanned pages"
# systemd is not PID 1 here, so the test does what it does for the units: LoadCredentialEncrypted=
# decrypts the store key into a private in-memory folder readable only by the service user
# (CREDENTIALS_DIRECTORY), and RuntimeDirectory= makes /run/helsenorge-kiosk, on tmpfs under
# /run (RUNTIME_DIRECTORY).
credentials=/run/credentials/helsenorge-kiosk.service
runtime=/run/helsenorge-kiosk
mkdir -p "$credentials" "$runtime"
mount -t tmpfs -o size=1m,mode=0700 tmpfs "$credentials" || die "cannot mount a tmpfs for the credentials"
mounted+=("$credentials")
mount -t tmpfs -o size=256m,mode=0700 tmpfs "$runtime" || die "cannot mount a tmpfs for the scanned pages"
mounted+=("$runtime")
chown kiosk:kiosk "$credentials" "$runtime"
systemd-creds decrypt --name=store.key $conf_dir/credentials/store.key.cred "$credentials/store.key" ||
  die "the store key credential made by the package does not decrypt"
chown kiosk "$credentials/store.key" && chmod 0400 "$credentials/store.key"
[ ! -e $state/store.key ] || fail "a plain store key lies beside the store ($state/store.key)"
kiosk_env+=(CREDENTIALS_DIRECTORY="$credentials" RUNTIME_DIRECTORY="$runtime")

step "the touch screen: /usr/bin/kiosk as the kiosk user with the installed configuration, under Xvfb"
# -displayfd: Xvfb picks a free display number itself and writes it when it is ready.
exec 5<> <(:)
Xvfb -displayfd 5 -screen 0 1920x1080x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=($!)
read -r -t 30 display_number <&5 || die "Xvfb did not start"
exec 5<&-
display=:$display_number
mkdir -p "$work/probe"
chown kiosk "$work/probe"
kiosk_env+=(DISPLAY="$display" KIOSK_UI_PROBE="$work/probe/ui.json")
as_kiosk /usr/bin/kiosk --windowed --config $conf >"$work/kiosk.log" 2>&1 &
kiosk_pid=$!
pids+=($kiosk_pid)
# A synthetic test number (month + 80) that passes the checksum: 01 June 1950.
identity=$(python3 - <<'PY'
def check(d):
    k1 = 11 - sum(int(a) * b for a, b in zip(d, [3, 7, 6, 1, 8, 9, 4, 5, 2])) % 11
    k1 = 0 if k1 == 11 else k1
    if k1 == 10: return None
    d = d + str(k1)
    k2 = 11 - sum(int(a) * b for a, b in zip(d, [5, 4, 3, 2, 7, 6, 5, 4, 3, 2])) % 11
    k2 = 0 if k2 == 11 else k2
    return None if k2 == 10 else d + str(k2)
for individual in range(100, 500):
    n = check("018650" + str(individual))
    if n:
        print(n)
        break
PY
)
# The printer is stopped when the citizen prints, and started again while the kiosk waits. The
# setup's test page must be done first: a job still being handed to the printer when the queue
# stops is sent again when it starts.
for _ in $(seq 60); do [ -z "$(lpstat -W not-completed -o Kiosk_E2E 2>/dev/null)" ] && break; sleep 0.5; done
cupsdisable Kiosk_E2E || die "cupsdisable failed"
if ! DISPLAY=$display python3 "$here/citizen-session.py" --resume-printer "CUPS_SERVER=$CUPS_SERVER cupsenable Kiosk_E2E" --probe "$work/probe/ui.json" --printer-dir "$work/printer/out" \
  --glass "$glass" --form organdonasjon --category doctor-and-medicines --identity "$identity" \
  --name "Ola Nordmann" --fill-sheet /usr/bin/kiosk-demo --config $conf; then
  echo "--- kiosk log"
  tail -40 "$work/kiosk.log"
  die "the citizen's session on the real window did not reach the receipt"
fi
grep -i 'error\|cannot' "$work/kiosk.log" | head -5

step "the submission is in the outbox, queued (the screen process does not send)"
read -r ref queued_status < <(kioskctl queue list --json --config $conf | python3 -c '
import json, sys
rows = json.load(sys.stdin)
rows = rows if isinstance(rows, list) else rows.get("submissions", [])
print(rows[-1]["reference"], rows[-1]["status"]) if rows else print("", "")')
[ -n "$ref" ] || die "no submission in the outbox after the session"
echo "reference: $ref, $queued_status"
# Only the delivery unit sends: the touch-screen process has no worker, so it is still queued.
[ "$queued_status" = queued ] || fail "the touch-screen process sent the submission itself ($queued_status)"
# The wipe at "start over" removed the session's scanned pages from the tmpfs at once.
[ -z "$(find "$runtime" -type f)" ] || { find "$runtime" -type f; fail "scanned pages are left after the session"; }

step "delivery with the broker down: the delivery command fails plainly, nothing is lost"
stop_broker
as_kiosk kioskctl queue deliver --until-empty --timeout 20 --config $conf >"$work/deliver-down.log" 2>&1
rc=$?
cat "$work/deliver-down.log" | tail -5
[ $rc -ne 0 ] || fail "queue deliver with the broker down exited 0"
kioskctl queue show "$ref" --config $conf >"$work/show-down.log" 2>&1 || fail "queue show $ref failed"
grep -qi 'queued\|sending\|waiting' "$work/show-down.log" || { cat "$work/show-down.log"; fail "the submission is not queued after the outage"; }

step "the broker is back: the delivery unit's command line delivers it"
start_broker
start_platform
as_kiosk kioskctl queue deliver --until-empty --timeout 180 --config $conf >"$work/deliver.log" 2>&1 ||
  { tail -20 "$work/deliver.log"; fail "queue deliver did not empty the queue"; }
kioskctl queue show "$ref" --config $conf >"$work/show.log" 2>&1
cat "$work/show.log"
grep -qi 'accepted' "$work/show.log" || fail "the platform's receipt did not come back (not accepted)"

step "the platform simulator holds it exactly once"
"$build/bin/platform-sim" list --config "$work/platform/kiosk.toml" --json >"$work/sim.json" 2>"$work/sim.err" ||
  { cat "$work/sim.err"; fail "platform-sim list failed"; }
held=$(python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
rows = rows if isinstance(rows, list) else rows.get("messages", rows.get("submissions", []))
print(len(rows))' "$work/sim.json")
[ "$held" = 1 ] || fail "the simulator holds $held submissions, not exactly 1"

step "no personal data is left behind"
# The store: the accepted submission's answers, pages, parties and message are deleted; only
# its reference, form and dates stay (for the receipt and the audit).
store_sql() { sqlite3 "$state/kiosk.db" "$1" 2>&1; }
left=$(store_sql "SELECT (SELECT count(*) FROM field_values) + (SELECT count(*) FROM pages WHERE image IS NOT NULL)
  + (SELECT count(*) FROM representation) + (SELECT count(*) FROM outbox WHERE payload IS NOT NULL)")
echo "rows with personal data left in the store: $left"
[ "$left" = 0 ] || fail "the store still holds personal data of the accepted submission ($left rows)"
[ "$(store_sql "SELECT count(*) FROM submissions WHERE personal_deleted_at IS NULL")" = 0 ] ||
  fail "the accepted submission is not marked as deleted"
# Page images and PDFs (anything the kiosk user owns) in the temporary folders and the spool.
residue=$(find /tmp /var/tmp "$cups/spool" "$runtime" -xdev -user kiosk -type f 2>/dev/null | grep -v "^$work/\(probe\|glass\)/")
spool=$(comm -13 <(echo "$spool_before") <(find "$cups/spool" -maxdepth 1 -type f -name 'd*' | sort))
[ -z "$residue" ] || { echo "$residue"; fail "files of the kiosk user are left in /tmp, /var/tmp or the CUPS spool"; }
[ -z "$spool" ] || { echo "$spool"; fail "the kiosk's printed form or receipt is left in the CUPS spool"; }

step "kioskctl doctor after the session"
SANE_CONFIG_DIR="$work/sane" kioskctl doctor >"$work/doctor-2.log" 2>&1
cat "$work/doctor-2.log"
grep -q '^failed' "$work/doctor-2.log" && fail "kioskctl doctor has a failed line after the session"

step "stop the kiosk"
kill "$kiosk_pid" 2>/dev/null
wait "$kiosk_pid" 2>/dev/null

step "disk full for the store: a commit is refused plainly with exit 4, nothing is lost, and works with space again"
# The store's folder on a small disk of its own (a tmpfs bound over it), filled to the last byte.
small=$work/small-disk
mkdir -p "$small"
mount -t tmpfs -o size=16m,mode=0700 tmpfs "$small" || die "cannot mount a small tmpfs"
mounted=("$small" "${mounted[@]}")
cp -a $state/. "$small/"
mount --bind "$small" $state || die "cannot bind the small disk over $state"
mounted=($state "${mounted[@]}")
count() { sqlite3 $state/kiosk.db "SELECT count(*) FROM submissions"; }
before=$(count)
dd if=/dev/zero of="$small/filler" bs=64k >/dev/null 2>&1
as_kiosk kioskctl queue add --form organdonasjon --example 3 --config $conf >"$work/full.log" 2>&1
rc=$?
cat "$work/full.log"
[ $rc -eq 4 ] || fail "a commit on a full disk exited $rc, not 4"
grep -qi 'disk is full' "$work/full.log" || fail "a commit on a full disk does not say the disk is full"
rm -f "$small/filler"
[ "$(count)" = "$before" ] || fail "a commit on a full disk changed the store"
as_kiosk kioskctl queue add --form organdonasjon --example 3 --config $conf >"$work/space.log" 2>&1 ||
  { cat "$work/space.log"; fail "with space again a commit does not work"; }
[ "$(count)" = "$((before + 1))" ] || fail "with space again the commit is not in the store"
umount $state && umount "$small" && mounted=("${mounted[@]:2}")

step "purge the package: nothing is left"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$pkg" >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "apt-get purge failed"; }
for path in /usr/bin/kiosk /usr/bin/kioskctl $conf_dir $state; do
  [ -e "$path" ] && fail "$path is left after purge"
done

if [ $failures -gt 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "the installed kiosk works end to end"
