#!/usr/bin/env bash
# npm run cluster:kind [-- --dry-run]
#
# The rehearsal lab on a laptop with Docker: kind with 1 control plane + 2 workers (kubeadm inside, default CNI
# off), Calico via the Tigera operator, the whole lab from manifests/, and two outside clients:
#   host1  198.19.15.254  inside the allowed range 198.19.15.0/24; also the outside network's BGP router (BIRD),
#                         peering with every node and learning 198.19.48.10/32 from the node(s) running productpage
#   host2  198.19.14.254  a client of another range (198.19.14.0/24); routes 198.19.48.0/24 via host1
# All of them sit on one Docker network, calico-lab (198.19.0.0/20), which this script creates so the addresses are
# the same as on the VMs (docs/cluster.md). Idempotent: run it again and it completes what is missing.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
parse_args "$@"
cd_repo_root

CLUSTER=calico-lab
NETWORK=calico-lab
KUBECTL=(kubectl --context "kind-${CLUSTER}")
NODES=("${CLUSTER}-control-plane" "${CLUSTER}-worker" "${CLUSTER}-worker2")

require docker kind kubectl

say "Docker network ${NETWORK} (${LAB_NETWORK}): kind nodes get addresses from 198.19.0.0/24"
if ! probe docker network inspect "$NETWORK"; then
  run docker network create --driver bridge --subnet "$LAB_NETWORK" --ip-range 198.19.0.0/24 \
    --gateway 198.19.0.1 "$NETWORK"
fi

say "kind cluster ${CLUSTER}: 1 control plane + 2 workers, default CNI off, kube-proxy in iptables mode"
write_file "${STATE_DIR}/kind-config.yaml" <<EOF
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking:
  disableDefaultCNI: true
  podSubnet: ${POD_CIDR}
  serviceSubnet: ${SERVICE_CIDR}
  kubeProxyMode: iptables
nodes:
  - role: control-plane
  - role: worker
  - role: worker
EOF
if ! probe kind get kubeconfig --name "$CLUSTER"; then
  # KIND_EXPERIMENTAL_DOCKER_NETWORK: put the nodes on our network instead of kind's default one.
  run env "KIND_EXPERIMENTAL_DOCKER_NETWORK=${NETWORK}" kind create cluster --name "$CLUSTER" \
    --image "$KIND_NODE_IMAGE" --config "${STATE_DIR}/kind-config.yaml"
fi
run kubectl config use-context "kind-${CLUSTER}"

apply_namespaces
install_calico
apply_lab

say "Outside clients host1 and host2 on ${NETWORK}"
node_peers=()
for node in "${NODES[@]}"; do
  capture ip "<${node}-ip>" docker inspect -f "{{(index .NetworkSettings.Networks \"${NETWORK}\").IPAddress}}" "$node"
  node_peers+=("${node}=${ip}")
done
host1_bird_conf "${node_peers[@]}" | write_file "${STATE_DIR}/host1-bird.conf"
# Re-created on every run: the node addresses in its BIRD configuration may have changed.
for host in host1 host2; do
  if probe docker container inspect "$host"; then run docker rm -f "$host"; fi
done
# iproute2: demo:check and the BGP slide read host1's table as JSON (`ip -j`); BusyBox's ip has no JSON and prints
# a multipath (ECMP) route without its next hops.
run docker create --name host1 --hostname host1 --network "$NETWORK" --ip "$HOST1_IP" \
  --cap-add NET_ADMIN --sysctl net.ipv4.ip_forward=1 \
  --label calico-lab=outside "$OUTSIDE_IMAGE" \
  sh -c 'apk add --no-cache bird curl iproute2 && exec bird -f -c /host1-bird.conf -s /run/bird.ctl'
run docker cp "${STATE_DIR}/host1-bird.conf" host1:/host1-bird.conf
run docker start host1
run docker run -d --name host2 --hostname host2 --network "$NETWORK" --ip "$OTHER_IP" \
  --cap-add NET_ADMIN --label calico-lab=outside "$OUTSIDE_IMAGE" \
  sh -c "apk add --no-cache curl && ip route add ${LB_CIDR} via ${HOST1_IP} && exec sleep infinity"
wait_for_match 300 "^${LB_IP//./\\.} " docker exec host1 ip route show "$LB_IP"
wait_until 120 "curl on host2" docker exec host2 curl --version

next_steps
