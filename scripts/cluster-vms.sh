#!/usr/bin/env bash
# npm run cluster:vms [-- --dry-run]
#
# The real lab, as in the seeds: three Ubuntu 24.04 VMs made with multipass (control, node1, node2) running
# kubeadm + containerd, plus host1 outside the cluster. Calico, bookinfo, the alpine pods and the exposure come from
# the same manifests as the kind rehearsal (one address plan, docs/cluster.md).
#   control 198.19.0.1 · node1 198.19.0.2 · node2 198.19.0.3 · host1 198.19.15.254 (+ 198.19.14.254)
# The kubeconfig is written to tmp/cluster-kit/vms.kubeconfig; the API server is reached at control's multipass
# address (your machine is not in 198.19.0.0/20). Idempotent: run it again and it completes what is missing.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
parse_args "$@"
cd_repo_root

KUBECONFIG_FILE="${STATE_DIR}/vms.kubeconfig"
KUBECTL=(kubectl --kubeconfig "$KUBECONFIG_FILE")
UBUNTU=24.04

require multipass kubectl

# render SRC DEST KEY=VALUE... : copy a cloud-init template, replacing @KEY@ with VALUE.
render() {
  local src=$1 dest=$2 content pair
  shift 2
  quote_argv render "$src" "$dest" "$@"
  if [[ $DRY_RUN == 1 ]]; then return 0; fi
  content=$(<"$src")
  for pair in "$@"; do
    content=${content//@${pair%%=*}@/${pair#*=}}
  done
  mkdir -p "$(dirname "$dest")"
  printf '%s\n' "$content" >"$dest"
}

launch() {
  local name=$1 cloud_init=$2 memory=$3
  if ! probe multipass info "$name"; then
    run multipass launch "$UBUNTU" --name "$name" --cpus 2 --memory "$memory" --disk 20G --cloud-init "$cloud_init"
  fi
  run multipass exec "$name" -- cloud-init status --wait
}

say "VMs: control, node1, node2 (kubeadm + containerd, Kubernetes ${KUBERNETES_MINOR}) and host1"
# (a function, not an associative array: macOS ships bash 3.2)
lab_address() {
  case $1 in
    control) echo "$CONTROL_IP" ;;
    node1) echo "$NODE1_IP" ;;
    node2) echo "$NODE2_IP" ;;
  esac
}
for vm in control node1 node2; do
  render scripts/cloud-init/k8s-node.yaml "${STATE_DIR}/${vm}.cloud-init.yaml" \
    "LAB_ADDRESS=$(lab_address "$vm")" "KUBERNETES_MINOR=${KUBERNETES_MINOR}"
  launch "$vm" "${STATE_DIR}/${vm}.cloud-init.yaml" 4G
done
launch host1 scripts/cloud-init/host1.yaml 1G

say "kubeadm init on control"
# The address multipass gave control (not its lab address): the API server is reached there from this machine.
control_info=""
capture control_info "IPv4: <control-multipass-ip>" multipass info control
control_ip=$(grep -oE '([0-9]{1,3}\.){3}[0-9]{1,3}' <<<"$control_info" | grep -v '^198\.19\.' | head -n 1) || true
if [[ $DRY_RUN == 1 ]]; then control_ip="<control-multipass-ip>"; fi
[[ -n $control_ip ]] || die "could not read control's address from 'multipass info control'"
if ! probe multipass exec control -- test -f /etc/kubernetes/admin.conf; then
  run multipass exec control -- sudo kubeadm init \
    --apiserver-advertise-address=198.19.0.1 --apiserver-cert-extra-sans="$control_ip" \
    --pod-network-cidr="$POD_CIDR" --service-cidr="$SERVICE_CIDR"
fi

say "kubeadm join on node1 and node2"
join=""
for vm in node1 node2; do
  if ! probe multipass exec "$vm" -- test -f /etc/kubernetes/kubelet.conf; then
    capture join "kubeadm join 198.19.0.1:6443 --token <token> --discovery-token-ca-cert-hash sha256:<hash>" \
      multipass exec control -- sudo kubeadm token create --print-join-command
    read -r -a join_argv <<<"$join"
    run multipass exec "$vm" -- sudo "${join_argv[@]}"
  fi
done

say "kubeconfig ${KUBECONFIG_FILE}"
run mkdir -p "$STATE_DIR"
to_file "$KUBECONFIG_FILE" multipass exec control -- sudo cat /etc/kubernetes/admin.conf
run "${KUBECTL[@]}" config set-cluster kubernetes --server="https://${control_ip}:6443"

apply_namespaces
install_calico
apply_lab

say "host1's BIRD: peers with the three nodes (the same text the kind rehearsal and the routing twin use)"
host1_bird_conf "control=${CONTROL_IP}" "node1=${NODE1_IP}" "node2=${NODE2_IP}" | write_file "${STATE_DIR}/host1-bird.conf"
run multipass transfer "${STATE_DIR}/host1-bird.conf" host1:/tmp/host1-bird.conf
run multipass exec host1 -- sudo install -m 0644 /tmp/host1-bird.conf /etc/bird/bird.conf
run multipass exec host1 -- sudo systemctl restart bird

say "host1 learns the LoadBalancer route over BGP"
wait_for_match 300 "^${LB_IP//./\\.} " multipass exec host1 -- ip route show "$LB_IP"

# shellcheck disable=SC2016 # $PWD is for the reader's shell
printf '\nUse this cluster:  export KUBECONFIG="$PWD/%s"\n' "$KUBECONFIG_FILE"
next_steps
