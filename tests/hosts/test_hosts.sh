#!/usr/bin/env bash
# Emulated SageMaker hosts on this machine, for tests and the multi-host demo.
#
# Host algo-N is a set of Linux namespaces, as a training container is:
#   network  `ip netns` algo-N, one veth (eth0 inside) on a private bridge,
#            address 10.214.14.N/24; no route out, no address on the bridge, so
#            traffic can only go between the test's own hosts;
#   name     its own UTS namespace: `hostname` says algo-N;
#   files    its own mount namespace: /opt (holding ml/, the host's /opt/ml),
#            /tmp, /run, /dev/shm, /etc/ssh and /etc/environment are the host's
#            own folders under the state folder; /etc/hosts (every host's name)
#            and an empty /etc/resolv.conf come from /etc/netns/algo-N/;
#   processes its own PID namespace, whose init is a shell that only waits:
#            killing it ends everything that ran on the host.
# Nothing else on the machine changes: the real /etc/ssh, /opt and /tmp are
# untouched, and sshd is not started here. A host's /etc/ssh holds an
# sshd_config and ssh_config made for the test (host keys, one root key that
# every host accepts, known_hosts listing every host), so the launcher's own
# `/usr/sbin/sshd -D` and `ssh algo-2 ...` work as in a SageMaker image.
#
# usage: test_hosts.sh can                  exit 0 if hosts can be made here, else say why (exit 1)
#        test_hosts.sh up N [STATE]         make algo-1..algo-N (removing leftovers of earlier runs first);
#                                           callers hold /run/lock/tandem-test-hosts.lock from up to down
#        test_hosts.sh down [STATE]         remove the hosts, the bridge and the state folder (idempotent)
#        test_hosts.sh run HOST CMD...      run CMD inside HOST with a container's clean environment
#        test_hosts.sh pids HOST            the host's processes (pids as this machine sees them), init excluded
#        test_hosts.sh kill HOST            SIGKILL everything on HOST, as a crashed instance
#        test_hosts.sh link HOST up|down    take HOST's network link down or up
#        test_hosts.sh freeze|thaw HOST     SIGSTOP every process on HOST, as a hung instance; SIGCONT them
#        test_hosts.sh break-sshd HOST      HOST's /usr/sbin/sshd exits at once, as one without host keys
#        test_hosts.sh limit RATE           a tbf bandwidth limit (tc) on every host's link, e.g. 20mbit
#        test_hosts.sh check [STATE]        self-test: 2 hosts, sshd on both, ssh between them, down
#                                           (exit 77 when hosts cannot be made here)
# STATE defaults to $TANDEM_HOSTS_STATE or /var/tmp/tandem-test-hosts; it must
# not lie under /tmp, which each host replaces with its own.
set -euo pipefail

readonly SUBNET=10.214.14            # a /24 this machine does not use (checked by `up`)
readonly BRIDGE=tdmhosts0
readonly VETH_PREFIX=tdmh-           # root-side end of algo-N's link: tdmh-algo-N
readonly MARKER=tandem-test-hosts    # in the state folder: this script made it
readonly REGISTRY=/run/tandem-test-hosts  # one empty file per host made, and `state`: what down removes
readonly HOST_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
self=$(readlink -f "$0")
state=${TANDEM_HOSTS_STATE:-/var/tmp/tandem-test-hosts}

die() { echo "test_hosts: $*" >&2; exit 1; }

# One set of hosts per machine (one bridge, one range, the names algo-N): up,
# use and down happen under this lock, which tests/hosts/support takes too.
readonly LOCK=/run/lock/tandem-test-hosts.lock
take_lock() {
  exec 9>"$LOCK"
  flock -w 600 9 || die "another run has held $LOCK for 10 minutes"
}

host_number() {
  [[ "$1" =~ ^algo-([0-9]+)$ ]] || die "$1: not a host name (algo-N)"
  echo "${BASH_REMATCH[1]}"
}

# The host's init: the process of its PID namespace that is pid 1 there.
init_pid() {
  local host=$1 pid
  [ -e "/run/netns/$host" ] || die "$host: no such host (test_hosts.sh up first)"
  for pid in $(ip netns pids "$host" 2>/dev/null); do
    if grep -Eq '^NSpid:[[:space:]]+[0-9]+[[:space:]]+1$' "/proc/$pid/status" 2>/dev/null; then
      echo "$pid"
      return
    fi
  done
  die "$host: its init is not running"
}

cmd_can() {
  [ "$(id -u)" -eq 0 ] || { echo "emulated hosts need root (ip netns, veth, mounts)"; return 1; }
  local tool
  for tool in ip unshare nsenter ssh ssh-keygen tc flock; do
    command -v "$tool" >/dev/null || { echo "emulated hosts need $tool, which is not installed"; return 1; }
  done
  [ -x /usr/sbin/sshd ] || { echo "emulated hosts need /usr/sbin/sshd (scripts/setup.sh installs openssh-server)"; return 1; }
  local why
  if ! why=$(unshare --net --uts --pid --ipc --mount --fork --mount-proc true 2>&1); then
    echo "namespaces are not permitted here: ${why:-unshare failed}"
    return 1
  fi
  # Named by this process, so two checks at once do not collide.
  if ! why=$(ip link add "${VETH_PREFIX}p$$" type veth peer name "${VETH_PREFIX}q$$" 2>&1); then
    echo "veth links are not permitted here: $why"
    return 1
  fi
  ip link del "${VETH_PREFIX}p$$"
}

# Everything an earlier run made, whether or not it ended cleanly.
cmd_down() {
  local entry host pid
  [ -r "$REGISTRY/state" ] && state=$(cat "$REGISTRY/state")
  for entry in "$REGISTRY"/algo-*; do
    [ -e "$entry" ] || continue
    host=$(basename "$entry")
    if [ -e "/run/netns/$host" ]; then
      # Killing a PID namespace's init kills everything in it.
      for pid in $(ip netns pids "$host" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
      for _ in $(seq 50); do
        [ -z "$(ip netns pids "$host" 2>/dev/null)" ] && break
        sleep 0.1
      done
      ip netns del "$host" 2>/dev/null || true
    fi
    ip link del "$VETH_PREFIX$host" 2>/dev/null || true
    rm -rf "/etc/netns/$host"
    rm -f "$entry"
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  local link
  for link in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$VETH_PREFIX" || true); do
    ip link del "$link" 2>/dev/null || true
  done
  if [ -e "$state/.$MARKER" ]; then rm -rf "$state"; fi
  rm -rf "$REGISTRY"
  rmdir /etc/netns 2>/dev/null || true
}

# Keys and configuration files shared by every host: one root key pair, the
# host keys, and known_hosts naming every host by name and address.
make_ssh_files() {
  local n=$1 i
  mkdir -p "$state/keys"
  ssh-keygen -q -t ed25519 -N '' -C "root@tandem-test-hosts" -f "$state/keys/id_ed25519"
  : >"$state/keys/ssh_known_hosts"
  for i in $(seq "$n"); do
    local etc="$state/algo-$i/etc_ssh"
    mkdir -p "$etc"
    ssh-keygen -q -t ed25519 -N '' -C "algo-$i" -f "$etc/ssh_host_ed25519_key"
    echo "algo-$i,$SUBNET.$i $(cut -d' ' -f1,2 "$etc/ssh_host_ed25519_key.pub")" >>"$state/keys/ssh_known_hosts"
  done
  for i in $(seq "$n"); do
    local etc="$state/algo-$i/etc_ssh"
    cp "$state/keys/ssh_known_hosts" "$etc/ssh_known_hosts"
    cp "$state/keys/id_ed25519.pub" "$etc/authorized_keys"
    install -m 600 "$state/keys/id_ed25519" "$etc/root_id_ed25519"
    cat >"$etc/sshd_config" <<EOF
# sshd of emulated host algo-$i (tests/hosts/test_hosts.sh); seen there as /etc/ssh.
Port 22
ListenAddress 0.0.0.0
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile /etc/ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
# PAM's pam_env reads /etc/environment, where a worker leaves the job's variables.
UsePAM yes
UseDNS no
PrintMotd no
PrintLastLog no
PidFile none
LogLevel ERROR
EOF
    cat >"$etc/ssh_config" <<EOF
# ssh client of emulated host algo-$i: the test's root key, host keys checked.
Host *
  IdentityFile /etc/ssh/root_id_ed25519
  GlobalKnownHostsFile /etc/ssh/ssh_known_hosts
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 10
  LogLevel ERROR
EOF
  done
}

# pid 1 of a host's PID namespace (run by `up` through unshare): makes the
# host's mounts, then waits forever.
cmd_init() {
  local host=$1 dir=$2
  hostname "$host"
  mount --bind "$dir/opt" /opt
  # A checkout under /tmp (a CI clone) stays visible at its own path: the
  # hosts run its build/tandem, as SageMaker's hosts all see the same image.
  local root
  root=$(cd "$(dirname "$self")/../.." && pwd)
  case "$root" in
    /tmp/*)
      mkdir -p "$dir/tmp${root#/tmp}"
      mount --bind "$root" "$dir/tmp${root#/tmp}"
      ;;
  esac
  mount --rbind "$dir/tmp" /tmp
  mount --bind "$dir/etc_ssh" /etc/ssh
  mount --bind "$dir/environment" /etc/environment
  mount -t tmpfs -o mode=755,size=64m tmpfs /run
  mkdir -p /run/sshd
  mount -t tmpfs -o mode=1777,size=1g tmpfs /dev/shm
  touch "$dir/ready"
  # Waits in the shell itself (a read on a FIFO nobody writes), so the host has
  # no process of its own to report; bash reaps the orphans it inherits.
  rm -f "$dir/init.fifo"
  mkfifo "$dir/init.fifo"
  exec 3<>"$dir/init.fifo" </dev/null
  while :; do read -r -u 3 || true; done
}

check_subnet_unused() {
  if ip -4 addr show | grep -q "inet $SUBNET\." || ip -4 route show | grep -q "^$SUBNET\."; then
    # Only our own leftovers may use it, and cmd_down removed those.
    die "$SUBNET.0/24 is in use on this machine; pick another SUBNET in $self"
  fi
}

cmd_up() {
  local n=$1 i
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 200 ] || die "up: expected a host count 1..200, got \"$n\""
  case "$state" in /tmp|/tmp/*) die "state folder $state lies under /tmp, which each host replaces";; esac
  local wanted=$state
  cmd_down
  state=$wanted
  # A failure half-way removes what was made so far.
  trap 'status=$?; [ "$status" -eq 0 ] || cmd_down; exit "$status"' EXIT
  check_subnet_unused
  mkdir -p "$state" "$REGISTRY"
  touch "$state/.$MARKER"
  echo "$state" >"$REGISTRY/state"
  make_ssh_files "$n"

  ip link add "$BRIDGE" type bridge
  echo 1 >"/proc/sys/net/ipv6/conf/$BRIDGE/disable_ipv6"
  ip link set "$BRIDGE" up
  local hosts_file="$state/hosts"
  printf '127.0.0.1\tlocalhost\n' >"$hosts_file"
  for i in $(seq "$n"); do printf '%s.%s\talgo-%s\n' "$SUBNET" "$i" "$i" >>"$hosts_file"; done

  for i in $(seq "$n"); do
    local host="algo-$i" dir="$state/algo-$i" veth="${VETH_PREFIX}algo-$i"
    mkdir -p "/etc/netns/$host" "$dir/opt/ml" "$dir/tmp"
    chmod 1777 "$dir/tmp"
    : >"$dir/environment"
    touch "$REGISTRY/$host"
    cp "$hosts_file" "/etc/netns/$host/hosts"
    : >"/etc/netns/$host/resolv.conf"   # no DNS: names come from hosts only

    ip netns add "$host"
    ip netns exec "$host" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6'
    ip link add "$veth" type veth peer name eth0 netns "$host"
    echo 1 >"/proc/sys/net/ipv6/conf/$veth/disable_ipv6"
    ip link set "$veth" master "$BRIDGE" up
    ip netns exec "$host" ip addr add "$SUBNET.$i/24" dev eth0
    ip netns exec "$host" ip link set eth0 up
    ip netns exec "$host" ip link set lo up

    # ip netns exec binds /etc/netns/<host>/{hosts,resolv.conf}; unshare adds
    # the other namespaces; setsid keeps the host out of the caller's session.
    setsid ip netns exec "$host" unshare --uts --ipc --pid --mount --fork --mount-proc --propagation private \
      bash "$self" _init "$host" "$dir" </dev/null >"$state/$host.log" 2>&1 &
    disown
  done
  for i in $(seq "$n"); do
    for _ in $(seq 100); do
      [ -e "$state/algo-$i/ready" ] && break
      sleep 0.05
    done
    [ -e "$state/algo-$i/ready" ] || die "algo-$i did not start: $(cat "$state/algo-$i.log" 2>/dev/null)"
  done
  trap - EXIT
}

cmd_run() {
  local host=$1
  shift
  [ $# -gt 0 ] || die "run: no command"
  local pid
  pid=$(init_pid "$host")
  # A container starts with the image's environment, not the caller's.
  exec nsenter --target "$pid" --net --uts --ipc --mount --pid --wd=/ -- \
    env -i PATH="$HOST_PATH" HOME=/root LANG=C.UTF-8 "$@"
}

cmd_pids() {
  local host=$1 init pid
  [ -e "/run/netns/$host" ] || die "$host: no such host (test_hosts.sh up first)"
  # A host whose init was killed (test_hosts.sh kill) runs nothing.
  init=$(init_pid "$host" 2>/dev/null) || return 0
  for pid in $(ip netns pids "$host"); do
    [ "$pid" = "$init" ] && continue
    # Only processes of the host's PID namespace (an nsenter outside it is not the host's).
    if [ "$(readlink "/proc/$pid/ns/pid" 2>/dev/null)" = "$(readlink "/proc/$init/ns/pid")" ]; then echo "$pid"; fi
  done
}

cmd_kill() {
  local host=$1
  kill -KILL "$(init_pid "$host")"
  for _ in $(seq 50); do
    [ -z "$(ip netns pids "$host" 2>/dev/null)" ] && return
    sleep 0.1
  done
  die "kill: processes of $host outlived its init"
}

cmd_freeze() {
  local pid
  for pid in $(cmd_pids "$1"); do kill -STOP "$pid" 2>/dev/null || true; done
}

# Every process in the host's network namespace: the host's own, and the
# nsenter of `run` waiting for one, which stops itself when its child stops.
cmd_thaw() {
  local pid
  for pid in $(ip netns pids "$1"); do kill -CONT "$pid" 2>/dev/null || true; done
}

cmd_break_sshd() {
  local host=$1 fake="$state/$1/broken-sshd"
  printf '#!/bin/sh\necho "sshd: no hostkeys available -- exiting." >&2\nexit 1\n' >"$fake"
  chmod 755 "$fake"
  nsenter --target "$(init_pid "$host")" --mount -- mount --bind "$fake" /usr/sbin/sshd
}

cmd_link() {
  local host=$1 how=$2
  host_number "$host" >/dev/null
  [ "$how" = up ] || [ "$how" = down ] || die "link: expected up or down, got \"$how\""
  ip link set "$VETH_PREFIX$host" "$how"
}

# tbf on the bridge side of every link shapes what each host receives, so any
# transfer between two hosts crosses one limit.
cmd_limit() {
  local rate=$1 veth
  for veth in $(ip -o link show master "$BRIDGE" | awk -F': ' '{print $2}' | cut -d@ -f1); do
    tc qdisc replace dev "$veth" root tbf rate "$rate" burst 32kbit latency 400ms
  done
}

cmd_check() {
  local why
  if ! why=$(cmd_can); then
    echo "test_hosts: skipped: $why"
    exit 77  # ctest's SKIP_RETURN_CODE
  fi
  take_lock
  cmd_up 2
  trap cmd_down EXIT
  local host
  for host in algo-1 algo-2; do cmd_run_bg "$host" /usr/sbin/sshd -D; done
  for _ in $(seq 50); do
    "$self" run algo-1 ssh algo-2 true 2>/dev/null && break
    sleep 0.1
  done
  local seen
  seen=$("$self" run algo-1 ssh algo-2 'hostname; ls -d /opt/ml; ip -4 -o addr show eth0')
  echo "$seen"
  grep -q '^algo-2$' <<<"$seen" || die "check: ssh algo-2 reached $seen"
  grep -q "inet $SUBNET.2/24" <<<"$seen" || die "check: algo-2 has not its address: $seen"
  [ "$("$self" run algo-2 ssh algo-1 hostname)" = algo-1 ] || die "check: ssh from algo-2 to algo-1 failed"
  echo "test_hosts: check passed"
}

cmd_run_bg() {
  "$self" run "$@" </dev/null >/dev/null 2>&1 &
  disown
}

main() {
  local command=${1:-}
  [ $# -gt 0 ] && shift
  case "$command" in
    can) cmd_can ;;
    up) [ $# -ge 1 ] || die "usage: up N [STATE]"; state=${2:-$state}; cmd_up "$1" ;;
    down) state=${1:-$state}; cmd_down ;;
    run) [ $# -ge 2 ] || die "usage: run HOST CMD..."; cmd_run "$@" ;;
    pids) [ $# -eq 1 ] || die "usage: pids HOST"; cmd_pids "$1" ;;
    kill) [ $# -eq 1 ] || die "usage: kill HOST"; cmd_kill "$1" ;;
    link) [ $# -eq 2 ] || die "usage: link HOST up|down"; cmd_link "$1" "$2" ;;
    break-sshd) [ $# -eq 1 ] || die "usage: break-sshd HOST"; state=$(cat "$REGISTRY/state"); cmd_break_sshd "$1" ;;
    freeze) [ $# -eq 1 ] || die "usage: freeze HOST"; cmd_freeze "$1" ;;
    thaw) [ $# -eq 1 ] || die "usage: thaw HOST"; cmd_thaw "$1" ;;
    limit) [ $# -eq 1 ] || die "usage: limit RATE"; cmd_limit "$1" ;;
    check) state=${1:-$state}; cmd_check ;;
    _init) cmd_init "$@" ;;
    *) sed -n '/^# usage:/,/^# STATE/p' "$self" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
}

main "$@"
