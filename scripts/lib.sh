#!/usr/bin/env bash
# Shared helpers of the cluster kit (sourced by cluster-kind.sh, cluster-kind-down.sh, cluster-vms.sh).
#
# Every command goes through `run` (changes something) or `probe` (asks a question), which print it first as
# `+ cmd args...`. With --dry-run nothing is executed: `run` only prints, `probe` prints and answers "no", and
# values read from the machine (node addresses, join command) are shown as <placeholders>. So `--dry-run` prints
# the whole sequence a fresh machine would run, and test/cluster-kit/ compares it with a committed snapshot.
# shellcheck shell=bash

# ---- pinned versions and the lab's address plan (docs/cluster.md) ------------------------------------------------
# (used by the scripts that source this file)
# shellcheck disable=SC2034
# Calico v3.31.7 (its manifests/tigera-operator.yaml runs quay.io/tigera/operator:v1.40.15).
CALICO_VERSION=v3.31.7
CALICO_MANIFESTS=https://raw.githubusercontent.com/projectcalico/calico/${CALICO_VERSION}/manifests
KUBERNETES_MINOR=v1.35
# The node image kind v0.31.0 was released with (kubernetes-sigs/kind, pkg/apis/config/defaults/image.go at tag
# v0.31.0; release notes: github.com/kubernetes-sigs/kind/releases/tag/v0.31.0). Use kind v0.31.0 or newer.
KIND_NODE_IMAGE=kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f
OUTSIDE_IMAGE=docker.io/library/alpine:3.22

LAB_NETWORK=198.19.0.0/20      # nodes and the outside hosts
POD_CIDR=198.19.16.0/21        # Installation ipPools[0].cidr
SERVICE_CIDR=198.19.32.0/20    # Service ClusterIPs
LB_CIDR=198.19.48.0/24         # Calico LoadBalancer IPAM pool, advertised over BGP
LB_IP=198.19.48.10             # productpage-lb
ALLOWED_RANGE=198.19.15.0/24   # the outside range allowed to reach productpage
HOST1_IP=198.19.15.254         # BGP peer of the nodes + client inside the allowed range
CONTROL_IP=198.19.0.1          # the VMs' lab addresses (kind: Docker assigns them from 198.19.0.0/24)
NODE1_IP=198.19.0.2
NODE2_IP=198.19.0.3
OTHER_IP=198.19.14.254         # a client outside the allowed range (host2 in kind, host1's 2nd address on VMs)
CLUSTER_AS=64512
HOST1_AS=64513
# kubeadm labels control-plane nodes node.kubernetes.io/exclude-from-external-load-balancers="" (an empty value);
# Calico's confd excludes a node from Service advertisement only when the value is "true"
# (confd/pkg/backends/calico/client.go, ExcludeServiceAdvertisement, at v3.31.7). The scripts set it.
LB_EXCLUSION_LABEL=node.kubernetes.io/exclude-from-external-load-balancers=true

DRY_RUN=0
# shellcheck disable=SC2034
STATE_DIR=tmp/cluster-kit      # repo-relative and git-ignored (/tmp/ in .gitignore)

# ---- output ----------------------------------------------------------------------------------------------------
say() { printf '\n==> %s\n' "$*"; }

# Print one argv as a shell would need it typed: plain words as they are, anything else single-quoted.
quote_argv() {
  local out="" arg
  for arg in "$@"; do
    if [[ $arg =~ ^[A-Za-z0-9_./:=@%+,{}-]+$ ]]; then
      out+=" $arg"
    else
      out+=" '${arg//\'/\'\\\'\'}'"
    fi
  done
  printf '+%s\n' "$out"
}

# Change something.
run() {
  quote_argv "$@"
  if [[ $DRY_RUN == 1 ]]; then return 0; fi
  "$@"
}

# Ask a yes/no question of the machine (exit status). In a dry run the answer is always "no", so the dry run shows
# what a fresh machine does.
probe() {
  quote_argv "$@"
  if [[ $DRY_RUN == 1 ]]; then return 1; fi
  "$@" >/dev/null 2>&1
}

# Read a value from the machine: capture VAR PLACEHOLDER cmd args...
capture() {
  local __var=$1 __placeholder=$2
  shift 2
  quote_argv "$@"
  if [[ $DRY_RUN == 1 ]]; then
    printf -v "$__var" '%s' "$__placeholder"
    return 0
  fi
  local __value
  __value=$("$@")
  printf -v "$__var" '%s' "$__value"
}

# Run a command and write its stdout to a file: to_file FILE cmd args...
to_file() {
  local file=$1
  shift
  quote_argv "$@"
  printf '  > %s\n' "$file"
  if [[ $DRY_RUN == 1 ]]; then return 0; fi
  "$@" >"$file"
}

# Write a file from stdin, printing its content (the dry run shows every file it would write).
write_file() {
  local file=$1 content
  content=$(cat)
  printf '+ write %s\n' "$file"
  printf '%s\n' "$content" | sed 's/^/  | /'
  if [[ $DRY_RUN == 1 ]]; then return 0; fi
  mkdir -p "$(dirname "$file")"
  printf '%s\n' "$content" >"$file"
}

# Poll until a command succeeds: wait_until SECONDS DESCRIPTION cmd args...
wait_until() {
  local timeout=$1 what=$2
  shift 2
  printf '+ wait up to %ss for %s:' "$timeout" "$what"
  quote_argv "$@" | sed 's/^+//'
  if [[ $DRY_RUN == 1 ]]; then return 0; fi
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      printf 'timed out after %ss waiting for %s\n' "$timeout" "$what" >&2
      return 1
    fi
    sleep 5
  done
}

# Poll until a command's output matches a regular expression: wait_for_match SECONDS REGEX cmd args...
wait_for_match() {
  local timeout=$1 regex=$2
  shift 2
  printf "+ wait up to %ss for output matching '%s':" "$timeout" "$regex"
  quote_argv "$@" | sed 's/^+//'
  if [[ $DRY_RUN == 1 ]]; then return 0; fi
  local deadline=$((SECONDS + timeout)) out
  while true; do
    out=$("$@" 2>/dev/null) || true
    if [[ $out =~ $regex ]]; then return 0; fi
    if ((SECONDS >= deadline)); then
      printf 'timed out after %ss: output of "%s" never matched %s\n' "$timeout" "$*" "$regex" >&2
      return 1
    fi
    sleep 5
  done
}

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

require() {
  local tool
  if [[ $DRY_RUN == 1 ]]; then return 0; fi
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required (see docs/cluster.md, 'Before you start')"
  done
}

parse_args() {
  local arg
  for arg in "$@"; do
    case $arg in
      --dry-run) DRY_RUN=1 ;;
      -h | --help)
        printf 'usage: %s [--dry-run]\n  --dry-run  print every command, run none\n' "$0"
        exit 0
        ;;
      *) die "unknown argument: $arg (try --help)" ;;
    esac
  done
}

# Scripts run from the repository root, so manifests/ and tmp/ paths are the same in every printed command.
cd_repo_root() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.." || die "cannot cd to the repository root"
}

# ---- steps shared by both labs ---------------------------------------------------------------------------------
# KUBECTL is an array set by the caller, e.g. (kubectl --context kind-calico-lab).

apply_namespaces() {
  say "Namespaces (manifests/00-namespaces.yaml)"
  run "${KUBECTL[@]}" apply --server-side -f manifests/00-namespaces.yaml
}

install_calico() {
  say "Calico ${CALICO_VERSION} via the Tigera operator"
  # Server-side apply: idempotent, and the operator CRDs are too large for client-side apply's annotation.
  run "${KUBECTL[@]}" apply --server-side --force-conflicts -f "${CALICO_MANIFESTS}/operator-crds.yaml"
  run "${KUBECTL[@]}" apply --server-side --force-conflicts -f "${CALICO_MANIFESTS}/tigera-operator.yaml"
  run "${KUBECTL[@]}" wait --for=condition=Established --timeout=120s \
    crd/installations.operator.tigera.io crd/apiservers.operator.tigera.io crd/tigerastatuses.operator.tigera.io
  run "${KUBECTL[@]}" -n tigera-operator rollout status deployment/tigera-operator --timeout=300s
  # --force-conflicts: the operator writes defaults into the Installation (e.g. into ipPools, an atomic list);
  # on a re-run our file stays the authority for the fields it sets.
  run "${KUBECTL[@]}" apply --server-side --force-conflicts -f manifests/10-calico-installation.yaml
  # tigerastatus objects appear once the operator has started reconciling: wait for them to exist, then Available.
  wait_until 300 "tigerastatus/calico to exist" "${KUBECTL[@]}" get tigerastatus/calico
  run "${KUBECTL[@]}" wait --for=condition=Available --timeout=600s tigerastatus/calico
  wait_until 300 "tigerastatus/apiserver to exist" "${KUBECTL[@]}" get tigerastatus/apiserver
  run "${KUBECTL[@]}" wait --for=condition=Available --timeout=600s tigerastatus/apiserver
  run "${KUBECTL[@]}" wait --for=condition=Ready --timeout=300s nodes --all
  # The projectcalico.org/v3 API is served by the Calico API server (APIServer above): wait until it answers.
  wait_until 300 "the projectcalico.org/v3 API" "${KUBECTL[@]}" get ippools.projectcalico.org
}

apply_lab() {
  say "The lab: BGP, LoadBalancer pool, bookinfo in dev1, alpine pods, exposure (manifests/, in order)"
  # Before BGP is configured, so no control-plane node ever advertises a Service address.
  run "${KUBECTL[@]}" label nodes -l node-role.kubernetes.io/control-plane "$LB_EXCLUSION_LABEL" --overwrite
  run "${KUBECTL[@]}" apply --server-side -f manifests/20-calico-bgp.yaml -f manifests/21-calico-lb-ippool.yaml
  run "${KUBECTL[@]}" apply --server-side -f manifests/30-bookinfo.yaml -f manifests/31-alpine.yaml \
    -f manifests/40-productpage-lb.yaml -f manifests/41-allowed-range-networkset.yaml
  # The platform's policy tiers and who may edit which (no policy yet: the demo's steps add them).
  run "${KUBECTL[@]}" apply --server-side -f manifests/42-policy-tiers.yaml -f manifests/43-rbac-dev1-team.yaml
  run "${KUBECTL[@]}" -n dev1 wait --for=condition=Available --timeout=600s deployment --all
  run "${KUBECTL[@]}" -n dev1 wait --for=condition=Ready --timeout=300s pod/alpine
  run "${KUBECTL[@]}" -n default wait --for=condition=Ready --timeout=300s pod/alpine
  wait_for_match 300 "^${LB_IP//./\\.}\$" \
    "${KUBECTL[@]}" -n dev1 get service productpage-lb -o 'jsonpath={.status.loadBalancer.ingress[0].ip}'
}

# BIRD configuration of host1: an eBGP router that peers with every node and learns the LoadBalancer route.
# BIRD 2 syntax (Debian/Ubuntu bird2, Alpine bird). One text for both labs and for the routing twin
# (scripts/twin-bgp.ts runs this very function). Arguments: NAME=ADDRESS per node; NAME becomes the BGP protocol's
# name (what `birdc show protocols` prints), with anything but letters, digits and _ turned into _.
host1_bird_conf() {
  local pair name ip
  cat <<EOF
# host1: the outside network's router. Learns what the nodes advertise over eBGP (the LoadBalancer /32 of each
# node that runs a ready endpoint: manifests/20-calico-bgp.yaml), exports nothing, and installs what it learns in
# the kernel so clients here follow it. merge paths: one kernel route with every equal next hop (ECMP).
# Logs to stderr: the container's log in kind, the journal under systemd (Debian's bird.service runs bird -f).
log stderr all;
router id ${HOST1_IP};
protocol device {}
protocol kernel {
  ipv4 { import none; export all; };
  merge paths on;
}
template bgp cluster_node {
  local ${HOST1_IP} as ${HOST1_AS};
  ipv4 { import all; export none; };
}
EOF
  for pair in "$@"; do
    name=${pair%%=*}
    ip=${pair#*=}
    [[ $name != "$pair" && -n $name && -n $ip ]] || die "host1_bird_conf: expected NAME=ADDRESS, got '$pair'"
    printf 'protocol bgp %s from cluster_node { neighbor %s as %s; }\n' "${name//[^A-Za-z0-9_]/_}" "$ip" "$CLUSTER_AS"
  done
}

next_steps() {
  say "Done"
  printf '  npm run demo:check   # the preflight checklist\n'
  printf '  npm start            # the deck and the demo server\n'
  printf '  outside clients: %s is allowed (%s), %s is not; productpage at http://%s/productpage\n' \
    "$HOST1_IP" "$ALLOWED_RANGE" "$OTHER_IP" "$LB_IP"
}
