#!/usr/bin/env bash
# An excerpt of scripts/lib.sh as it was before the exposure fix (main at 76d8974): its constants and host1's BIRD
# configuration, the two things the routing twin reads from a lib.sh. Kept verbatim so that
# `npm run twin:bgp -- --manifests test/twin/cases/before-fix/manifests --scripts test/twin/cases/before-fix/scripts`
# runs the lab exactly as it was, and fails.
# shellcheck shell=bash

# ---- pinned versions and the lab's address plan (docs/cluster.md) ------------------------------------------------
# (used by the scripts that source this file)
# shellcheck disable=SC2034
CALICO_VERSION=v3.31.4
CALICO_MANIFESTS=https://raw.githubusercontent.com/projectcalico/calico/${CALICO_VERSION}/manifests
KUBERNETES_MINOR=v1.34
KIND_NODE_IMAGE=kindest/node:v1.34.0@sha256:7416a61b42b1662ca6ca89f02028ac133a309a2a30ba309614e8ec94d976dc5a
OUTSIDE_IMAGE=docker.io/library/alpine:3.22

LAB_NETWORK=198.19.0.0/20      # nodes and the outside hosts
POD_CIDR=198.19.16.0/21        # Installation ipPools[0].cidr
SERVICE_CIDR=198.19.32.0/20    # Service ClusterIPs
LB_CIDR=198.19.48.0/24         # Calico LoadBalancer IPAM pool, advertised over BGP
LB_IP=198.19.48.10             # productpage-lb
ALLOWED_RANGE=198.19.15.0/24   # the outside range allowed to reach productpage
HOST1_IP=198.19.15.254         # BGP peer of the nodes + client inside the allowed range
OTHER_IP=198.19.14.254         # a client outside the allowed range (host2 in kind, host1's 2nd address on VMs)
CLUSTER_AS=64512
HOST1_AS=64513


# BIRD configuration of host1: an eBGP router that peers with every node and learns the LoadBalancer route.
# Works with BIRD 2 (and 3). Arguments: node addresses.
host1_bird_conf() {
  local ip i=0
  cat <<EOF
# host1: the outside network's router. Learns ${LB_CIDR} routes (and pod blocks) from the cluster over BGP,
# exports nothing, installs what it learns in the kernel so curl from here follows them.
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
  for ip in "$@"; do
    i=$((i + 1))
    printf 'protocol bgp node%s from cluster_node { neighbor %s as %s; }\n' "$i" "$ip" "$CLUSTER_AS"
  done
}
