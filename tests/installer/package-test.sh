#!/usr/bin/env bash
# The real Debian package on this machine: build, lintian, install, check files, user,
# permissions and units, run the doctor, upgrade to a rebuilt package with another version
# and check that configuration, key and queue survived, then remove and purge (refused
# while submissions are undelivered, unless forced).
#   KIOSK_PACKAGE_TESTS=1 package-test.sh BUILD_DIR      (as root; CI sets it)
set -uo pipefail
build=$(cd "$1" && pwd)
pkg=helsenorge-kiosk
state=/var/lib/helsenorge-kiosk
conf=/etc/helsenorge-kiosk/kiosk.toml

if [ "${KIOSK_PACKAGE_TESTS:-0}" != 1 ]; then
  echo "SKIP: the package test installs a package on this machine; run it with KIOSK_PACKAGE_TESTS=1 (CI does)"
  exit 77
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: the package test needs root (dpkg -i)"
  exit 77
fi

work=$(mktemp -d)
user_existed=0
getent passwd kiosk >/dev/null && user_existed=1
policy_added=0
cleanup() {
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -qv 'not-installed'; then
    KIOSK_PURGE_FORCE=1 dpkg --purge "$pkg" >/dev/null 2>&1
  fi
  [ $user_existed -eq 0 ] && getent passwd kiosk >/dev/null && { deluser --system --quiet kiosk >/dev/null 2>&1 || userdel kiosk; }
  [ $user_existed -eq 0 ] && getent group kiosk >/dev/null && { delgroup --system --quiet kiosk >/dev/null 2>&1 || groupdel kiosk; }
  [ $policy_added -eq 1 ] && rm -f /usr/sbin/policy-rc.d
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
die() { echo "FAIL: $*"; exit 1; }
step() { echo "== $*"; }
mode_owner() { stat -c '%a %U:%G' "$1" 2>/dev/null; }
status() { dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null; }
sql() { runuser -u kiosk -- sqlite3 "$state/kiosk.db" "$1"; }

# Where systemd runs, nothing may start during the test (no tty1 for cage here).
if [ -d /run/systemd/system ] && [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_added=1
fi
if status | grep -q 'installed\|config-files'; then
  echo "note: $pkg was already on this machine; purging it first"
  KIOSK_PURGE_FORCE=1 dpkg --purge "$pkg" >/dev/null || die "cannot purge the old $pkg"
fi

step "build the package (cmake --build --target package)"
rm -f "$build"/${pkg}_*.deb
cmake --build "$build" --target package >"$work/cpack1.log" 2>&1 || { cat "$work/cpack1.log"; die "package build failed"; }
deb1=$(ls "$build"/${pkg}_*.deb 2>/dev/null | head -1)
[ -f "$deb1" ] || die "no .deb in $build"
version1=$(dpkg-deb -f "$deb1" Version)
echo "built $deb1 ($version1)"
dpkg-deb -f "$deb1" Depends | grep -q 'cage' || fail "the package does not depend on cage"
dpkg-deb -f "$deb1" Depends | grep -q -- '-dev' && fail "a -dev package is a run-time dependency"

step "lintian (no errors)"
if command -v lintian >/dev/null; then
  lintian --fail-on error "$deb1" 2>&1 | grep -v 'running with root privileges' | tee "$work/lintian.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || fail "lintian reports errors"
else
  fail "lintian is not installed (scripts/install-deps.sh installs it)"
fi

# A "kiosk" user that is already there (issue 25): a person's login account is refused with a
# plain reason and nothing half-made is left; a system user (an earlier install's) is used, and
# nobody can log in as it afterwards. Only where this machine has no kiosk user of its own.
if [ $user_existed -eq 0 ]; then
  step "a person's account named kiosk: the install is refused with a reason"
  useradd --create-home --home-dir "$work/home-kiosk" --shell /bin/bash kiosk || die "cannot make a test user kiosk"
  if dpkg -i "$deb1" >"$work/install-person.log" 2>&1; then
    fail "the package took a person's account as its kiosk user"
  fi
  grep -q 'a user named "kiosk" already exists and is a person' "$work/install-person.log" ||
    { cat "$work/install-person.log"; fail "the refusal does not say why"; }
  [ -e $state/qr-mac.key ] && fail "the refused install made a key for the person's account"
  KIOSK_PURGE_FORCE=1 dpkg --purge "$pkg" >/dev/null 2>&1 || fail "the refused install cannot be purged"
  userdel --remove kiosk 2>/dev/null
  getent group kiosk >/dev/null && groupdel kiosk
  step "an earlier install's system user kiosk (with a shell): used, and made unable to log in"
  adduser --system --group --quiet --no-create-home --shell /bin/bash kiosk || die "cannot make a system user kiosk"
fi

step "install $version1"
dpkg -i "$deb1" >"$work/install1.log" 2>&1 || { cat "$work/install1.log"; die "dpkg -i failed"; }
for f in /usr/bin/kioskctl /usr/bin/kiosk-recognize /usr/bin/kiosk-demo /lib/systemd/system/helsenorge-kiosk.service /lib/systemd/system/helsenorge-kiosk-delivery.service \
         /usr/share/helsenorge-kiosk/kiosk.toml.example \
         /usr/share/helsenorge-kiosk/i18n/nb.json /usr/share/doc/$pkg/ADMIN.md /usr/share/doc/$pkg/copyright; do
  [ -e "$f" ] || fail "$f is not installed"
done
ls /usr/share/helsenorge-kiosk/forms/*.json >/dev/null 2>&1 || fail "the form catalogue is not installed"
getent passwd kiosk >/dev/null || die "no user kiosk"
[ "$(getent passwd kiosk | cut -d: -f7)" = /usr/sbin/nologin ] || fail "kiosk can log in"
[ "$(id -u kiosk)" -lt 1000 ] || fail "kiosk is not a system user"
for group in video render input; do
  id -nG kiosk | tr ' ' '\n' | grep -qx "$group" && fail "kiosk is in the group $group (logind gives the screen its devices)"
done
[ "$(mode_owner $state)" = "700 kiosk:kiosk" ] || fail "$state is $(mode_owner $state)"
[ "$(mode_owner $conf)" = "640 root:kiosk" ] || fail "$conf is $(mode_owner $conf)"
[ "$(mode_owner /etc/helsenorge-kiosk)" = "770 root:kiosk" ] || fail "/etc/helsenorge-kiosk is $(mode_owner /etc/helsenorge-kiosk)"
runuser -u kiosk -- test -w /etc/helsenorge-kiosk || fail "the first-run setup (as kiosk) cannot write the configuration"
cmp -s "$conf" /usr/share/helsenorge-kiosk/kiosk.toml.example || fail "$conf is not the shipped default"
# The QR code key: made by the package (no form can be printed without it), the kiosk's only.
[ "$(mode_owner $state/qr-mac.key)" = "600 kiosk:kiosk" ] || fail "$state/qr-mac.key is '$(mode_owner $state/qr-mac.key)'"
[ "$(stat -c %s $state/qr-mac.key 2>/dev/null)" = 32 ] || fail "$state/qr-mac.key is not 32 bytes"
# The store key: made by the package already sealed as a systemd credential (root's, 0600), that
# systemd-creds opens on this machine; no plain key beside the store (issue 15).
cred=/etc/helsenorge-kiosk/credentials/store.key.cred
[ "$(mode_owner $cred)" = "600 root:root" ] || fail "$cred is '$(mode_owner $cred)'"
[ "$(systemd-creds decrypt --name=store.key $cred - 2>/dev/null | wc -c)" = 32 ] || fail "$cred does not decrypt to a key"
[ -e $state/store.key ] && fail "the package left a plain store key beside the store"
chmod 0711 "$work" && install -d -o kiosk -g kiosk -m 0700 "$work/kiosk-out"
runuser -u kiosk -- kioskctl print reservasjon-kjernejournal --lang nb --out "$work/kiosk-out/form.pdf" >"$work/print.log" 2>&1 ||
  { cat "$work/print.log"; fail "the kiosk user cannot print a form right after installation"; }
runuser -u kiosk -- kioskctl config check >/dev/null || fail "the kiosk user cannot read and check $conf"
for unit in multi-user.target.wants/helsenorge-kiosk.service multi-user.target.wants/helsenorge-kiosk-delivery.service; do
  [ -L "/etc/systemd/system/$unit" ] || fail "$unit is not enabled"
done
if [ -d /run/systemd/system ]; then
  systemctl is-active --quiet helsenorge-kiosk.service && fail "the kiosk service was started during the test"
  systemctl is-active --quiet helsenorge-kiosk-delivery.service && fail "the delivery service was started during the test"
fi
out=$(SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no /lib/systemd/system/helsenorge-kiosk.service \
      /lib/systemd/system/helsenorge-kiosk-delivery.service 2>&1) ||
  fail "systemd-analyze verify of the installed units"
[ -z "$out" ] || { echo "$out"; fail "systemd-analyze verify warns about the installed units"; }

step "kioskctl doctor as the kiosk user (no printer, scanner or broker here: those fail, with a fix)"
runuser -u kiosk -- kioskctl doctor --timeout-ms 1000 >"$work/doctor.txt" 2>&1
rc=$?
cat "$work/doctor.txt"
[ $rc -eq 1 ] || fail "doctor exit code $rc, expected 1"
grep -q '^ok      Configuration file: ' "$work/doctor.txt" || fail "doctor: configuration not ok"
grep -q '^ok      Folder for the store and keys: ' "$work/doctor.txt" || fail "doctor: state folder not ok"
grep -q '^failed  Message broker: .* Fix: ' "$work/doctor.txt" || fail "doctor: broker failure without a fix"
grep -q '^ok      QR code keys: The current key ' "$work/doctor.txt" || fail "doctor: the QR key made by the package is not ok"
[ "$(grep -cE '^(ok|warning|failed|skipped) ' "$work/doctor.txt")" -eq 18 ] || fail "doctor: not one line per check"
runuser -u kiosk -- kioskctl doctor --json --skip-devices --skip-broker >"$work/doctor.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["checks"][0]["status"] == "ok", d' "$work/doctor.json" ||
  fail "doctor --json"

step "the kiosk's state: a configuration change, a key, a queued submission"
qr_sum=$(sha256sum < $state/qr-mac.key)
kioskctl setup --site-name "Package test library" >/dev/null || fail "kioskctl setup"
[ "$qr_sum" = "$(sha256sum < $state/qr-mac.key)" ] || fail "kioskctl setup replaced the QR code key"
[ "$(mode_owner $conf)" = "640 root:kiosk" ] || fail "after setup $conf is $(mode_owner $conf)"
runuser -u kiosk -- sh -c "umask 077; head -c 32 /dev/urandom > $state/store.key; echo sentinel-$$ > $state/sentinel"
sql "CREATE TABLE outbox(submission_id TEXT PRIMARY KEY, status TEXT NOT NULL);
     INSERT INTO outbox VALUES ('sub-1', 'queued'), ('sub-0', 'accepted');"
[ "$(kioskctl admin undelivered)" = 1 ] || fail "admin undelivered does not count the queued submission"
conf_sum=$(sha256sum < $conf)
key_sum=$(sha256sum < $state/store.key)

step "upgrade to a rebuilt package with another version"
version2="${version1}+upgrade1"
cpack --config "$build/CPackConfig.cmake" -B "$work/v2" -D CPACK_OUTPUT_FILE_PREFIX="$work/v2" -D CPACK_PACKAGE_VERSION="$version2" >"$work/cpack2.log" 2>&1 ||
  { cat "$work/cpack2.log"; die "second package build failed"; }
deb2=$(ls "$work"/v2/${pkg}_*.deb | head -1)
[ "$(dpkg-deb -f "$deb2" Version)" = "$version2" ] || die "the rebuilt package has version $(dpkg-deb -f "$deb2" Version)"
dpkg -i "$deb2" >"$work/install2.log" 2>&1 || { cat "$work/install2.log"; die "upgrade failed"; }
[ "$(dpkg-query -W -f='${Version}' $pkg)" = "$version2" ] || fail "the upgrade did not install $version2"
[ "$conf_sum" = "$(sha256sum < $conf)" ] || fail "the upgrade changed the configuration"
[ "$key_sum" = "$(sha256sum < $state/store.key)" ] || fail "the upgrade changed the key"
[ "$qr_sum" = "$(sha256sum < $state/qr-mac.key)" ] || fail "the upgrade changed the QR code key"
[ "$(cat $state/sentinel 2>/dev/null)" = "sentinel-$$" ] || fail "the sentinel did not survive the upgrade"
[ "$(sql "SELECT status FROM outbox WHERE submission_id = 'sub-1'")" = queued ] || fail "the queue did not survive"
[ "$(mode_owner $state)" = "700 kiosk:kiosk" ] || fail "after the upgrade $state is $(mode_owner $state)"

step "remove keeps configuration, key and queue"
dpkg -r $pkg >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "dpkg -r failed"; }
grep -q '1 submission(s) are not delivered' "$work/remove.log" || fail "remove did not warn about the queued submission"
[ -e /usr/bin/kioskctl ] && fail "remove left /usr/bin/kioskctl"
[ -f $conf ] && [ -f $state/store.key ] && [ -f $state/kiosk.db ] || fail "remove deleted the kiosk's state"

step "purge refuses while a submission is undelivered"
dpkg --purge $pkg >"$work/purge1.log" 2>&1 && fail "purge went ahead with an undelivered submission"
cat "$work/purge1.log"
grep -q 'not purging: 1 submission' "$work/purge1.log" || fail "purge did not say why it refused"
[ -f $state/kiosk.db ] && [ -f $conf ] || fail "the refused purge deleted files"

step "reinstall, deliver, purge"
dpkg -i "$deb2" >"$work/install3.log" 2>&1 || { cat "$work/install3.log"; die "reinstall failed"; }
[ "$key_sum" = "$(sha256sum < $state/store.key)" ] || fail "the reinstall changed the key"
sql "UPDATE outbox SET status = 'accepted'"
dpkg --purge $pkg >"$work/purge2.log" 2>&1 || { cat "$work/purge2.log"; fail "purge after delivery failed"; }
[ -e $state ] && fail "purge left $state"
[ -e /etc/helsenorge-kiosk ] && fail "purge left /etc/helsenorge-kiosk"
[ -e /etc/systemd/system/multi-user.target.wants/helsenorge-kiosk.service ] && fail "purge left the unit enabled"
status | grep -q 'not-installed' || [ -z "$(status)" ] || fail "after purge the package is '$(status)'"

step "purge with an undelivered submission, forced"
dpkg -i "$deb1" >"$work/install4.log" 2>&1 || { cat "$work/install4.log"; die "install failed"; }
sql "CREATE TABLE outbox(submission_id TEXT PRIMARY KEY, status TEXT NOT NULL); INSERT INTO outbox VALUES ('s', 'parked');"
KIOSK_PURGE_FORCE=1 dpkg --purge $pkg >"$work/purge3.log" 2>&1 || { cat "$work/purge3.log"; fail "forced purge failed"; }
[ -e $state ] && fail "forced purge left $state"

if [ $failures -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "package installs, upgrades, keeps and purges as it should"
