# the policy, in evaluation order
kubectl get tiers.projectcalico.org
kubectl get networkpolicies.projectcalico.org -n dev1
kubectl get globalnetworkpolicies.projectcalico.org
# the counters on the pod's node: which tier dropped it
kubectl exec -n calico-system $POD -c calico-node -- \
  iptables-save -c | grep -E 'cali-p[io]-|End of tier'
# Felix and BIRD
kubectl logs -n calico-system $POD -c calico-node
kubectl exec -n calico-system $POD -c calico-node -- \
  birdcl -s /var/run/calico/bird.ctl show protocols
