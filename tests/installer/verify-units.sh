#!/usr/bin/env bash
# systemd-analyze verify on the package's units. The units name installed paths
# (/usr/bin/kioskctl), so a copy pointing at the built kioskctl is verified; every
# warning (unknown key, bad value) counts as a failure, not only the exit code.
#   verify-units.sh UNIT_DIR KIOSKCTL
set -euo pipefail
unit_dir=$1
kioskctl=$(realpath "$2")
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze is missing (apt-get install systemd)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for unit in "$unit_dir"/*.service; do
  sed -e "s#/usr/bin/kioskctl#$kioskctl#g" "$unit" > "$work/$(basename "$unit")"
done
if ! command -v cage >/dev/null; then
  echo "note: cage is not installed; verifying the kiosk unit with /bin/true in its place"
  sed -i 's#/usr/bin/cage#/bin/true#' "$work"/helsenorge-kiosk.service
fi

verify() {  # prints what systemd-analyze says; fails on any output or exit code
  local out rc=0
  out=$(cd "$1" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no ./*.service 2>&1) || rc=$?
  printf '%s\n' "$out" | sed '/^$/d'
  [ $rc -eq 0 ] && [ -z "$(printf '%s' "$out" | tr -d '[:space:]')" ]
}

echo "verifying: $(cd "$work" && ls)"
verify "$work" || { echo "FAIL: systemd-analyze verify reported problems"; exit 1; }

# The check itself must be able to fail: a misspelt directive has to be caught.
broken=$(mktemp -d)
trap 'rm -rf "$work" "$broken"' EXIT
cp "$work"/* "$broken"/
sed -i 's/^NoNewPrivileges=/NoNewPrivilegez=/' "$broken"/helsenorge-kiosk.service
if verify "$broken" >/dev/null; then
  echo "FAIL: a misspelt directive was not reported"
  exit 1
fi
# Each hardening setting the issue asks for is in the kiosk unit.
for setting in NoNewPrivileges=yes ProtectSystem=strict ReadWritePaths=/var/lib/helsenorge-kiosk \
               ReadWritePaths=/etc/helsenorge-kiosk ProtectHome=yes \
               PrivateTmp=yes DevicePolicy=closed "DeviceAllow=char-drm" "DeviceAllow=char-input" \
               "DeviceAllow=char-alsa" "DeviceAllow=char-usb_device" Restart=always User=kiosk TTYPath=/dev/tty1 \
               SystemCallFilter=@system-service SystemCallFilter=~@privileged "RestrictAddressFamilies=AF_UNIX" \
               ProtectKernelLogs=yes LockPersonality=yes RestrictNamespaces=yes "CapabilityBoundingSet=$" \
               RuntimeDirectory=helsenorge-kiosk RuntimeDirectoryMode=0700 \
               "LoadCredentialEncrypted=store.key:/etc/helsenorge-kiosk/credentials/store.key.cred$"; do
  grep -q "^$setting" "$unit_dir/helsenorge-kiosk.service" || { echo "FAIL: helsenorge-kiosk.service lacks $setting"; exit 1; }
done
for setting in "ExecStart=/usr/bin/kioskctl queue deliver" Restart=always User=kiosk NoNewPrivileges=yes \
               ProtectSystem=strict ReadWritePaths=/var/lib/helsenorge-kiosk PrivateDevices=yes \
               SystemCallFilter=@system-service "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6$" \
               ProtectKernelLogs=yes LockPersonality=yes RestrictNamespaces=yes "CapabilityBoundingSet=$" \
               "LoadCredentialEncrypted=store.key:/etc/helsenorge-kiosk/credentials/store.key.cred$"; do
  grep -q "^$setting" "$unit_dir/helsenorge-kiosk-delivery.service" ||
    { echo "FAIL: helsenorge-kiosk-delivery.service lacks $setting"; exit 1; }
done
# systemd's own exposure score (0 safest, 10 worst) must stay where ADMIN.md says it is: a
# setting dropped by mistake raises it. The kiosk unit cannot go lower without breaking the
# screen (it needs devices, the network for scanners and W+X memory for Mesa).
if systemd-analyze security --help 2>&1 | grep -q -- --offline; then
  for limit in helsenorge-kiosk.service:2.0 helsenorge-kiosk-delivery.service:1.5; do
    unit=${limit%%:*} max=${limit##*:}
    score=$(cd "$work" && SYSTEMD_LOG_COLOR=0 systemd-analyze security --offline=yes --no-pager "./$unit" 2>&1 |
      sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    [ -n "$score" ] || { echo "FAIL: no exposure score for $unit"; exit 1; }
    echo "$unit: exposure $score (at most $max)"
    awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }' || { echo "FAIL: $unit scores $score, above $max"; exit 1; }
  done
  # ... and the score check can fail: the unit without its syscall filter and capability limit scores worse.
  sed -i -e '/^SystemCallFilter=/d' -e '/^CapabilityBoundingSet=/d' "$broken"/helsenorge-kiosk.service
  sed -i 's/^NoNewPrivilegez=/NoNewPrivileges=/' "$broken"/helsenorge-kiosk.service
  worse=$(cd "$broken" && SYSTEMD_LOG_COLOR=0 systemd-analyze security --offline=yes --no-pager ./helsenorge-kiosk.service 2>&1 |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  awk -v s="$worse" 'BEGIN { exit !(s > 2.0) }' || { echo "FAIL: a weakened unit still scores $worse"; exit 1; }
else
  echo "note: this systemd-analyze has no --offline; exposure scores not checked"
fi
echo "units verified"
