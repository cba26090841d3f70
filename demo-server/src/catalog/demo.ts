// The 30-minute demo of the assessment, in its order, as catalog steps (issue 3, point 3).
//
//  1. what runs in dev1                      5. the exposure: address, then the outside clients
//  2. ratings -> productpage (inside dev1)    6. the policy steps, one file each (manifests/5*-policy-*.yaml)
//  3. alpine in dev1 -> productpage           7. the same probes again
//  4. alpine in default -> productpage.dev1   8. routing internals      9. Calico components
//
// Pod-side steps use the lead's action kinds (types.ts). The outside clients are not pods (Docker containers in the
// kind rehearsal, a multipass VM on the real lab), so the Kubernetes API cannot reach them: those steps are
// `hostActions`, of a proposed kind `host` (HostAction below) that runs one fixed argv per lab with no shell on the
// presenter's machine. `demoSequence` lists both arrays' ids in demo order.
import type { Action, ApplyAction, DeleteAction, ExecAction, HostAction, Lab, TableAction } from './types.ts'
export { HOST_PROGRAMS, hostCommandLine } from './types.ts'
export type { HostAction, Lab } from './types.ts'

/** The lab's fixed facts, shared by the catalog, the preflight and the tests (docs/cluster.md). */
export const LAB = {
  namespace: 'dev1',
  otherNamespace: 'default',
  kindContext: 'kind-calico-lab',
  lbService: 'productpage-lb',
  lbIp: '198.19.48.10',
  allowedRange: '198.19.15.0/24',
  host1Ip: '198.19.15.254',
  otherIp: '198.19.14.254',
  deployments: ['details-v1', 'ratings-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3', 'productpage-v1'],
} as const

const TITLE = `grep -o "<title>.*</title>"`
const PROBE_TIMEOUT_MS = 20_000
const READ_TIMEOUT_MS = 10_000

// ---- probes from pods ------------------------------------------------------------------------------------------

/** ratings has curl (the assessment's own probe, and Istio's documented check). */
const RATINGS_PROBE = `curl -sS --max-time 5 http://productpage:9080/productpage | ${TITLE}`
/** alpine has busybox wget, not curl; `timeout` bounds the connect when a policy drops the SYN. */
const alpineProbe = (host: string) => `timeout 6 wget -q -T 5 -O - http://${host}:9080/productpage | ${TITLE}`

function podProbes(suffix: string, when: string): ExecAction[] {
  return [
    {
      id: `probe-ratings-productpage${suffix}`,
      title: `ratings → productpage, inside dev1 (${when})`,
      kind: 'exec',
      namespace: 'dev1',
      selector: 'app=ratings',
      container: 'ratings',
      command: ['sh', '-c', RATINGS_PROBE],
      namespaces: ['dev1'],
      kubectl: `kubectl exec -n dev1 deploy/ratings-v1 -c ratings -- sh -c '${RATINGS_PROBE}'`,
      timeoutMs: PROBE_TIMEOUT_MS,
    },
    {
      id: `probe-alpine-dev1-productpage${suffix}`,
      title: `alpine in dev1 → productpage (${when})`,
      kind: 'exec',
      namespace: 'dev1',
      selector: 'app=alpine',
      container: 'alpine',
      command: ['sh', '-c', alpineProbe('productpage')],
      namespaces: ['dev1'],
      kubectl: `kubectl exec -n dev1 alpine -- sh -c '${alpineProbe('productpage')}'`,
      timeoutMs: PROBE_TIMEOUT_MS,
    },
    {
      id: `probe-alpine-default-productpage${suffix}`,
      title: `alpine in default → productpage.dev1 (${when})`,
      kind: 'exec',
      namespace: 'default',
      selector: 'app=alpine',
      container: 'alpine',
      command: ['sh', '-c', alpineProbe('productpage.dev1')],
      namespaces: ['default'],
      kubectl: `kubectl exec -n default alpine -- sh -c '${alpineProbe('productpage.dev1')}'`,
      timeoutMs: PROBE_TIMEOUT_MS,
    },
  ]
}


/** `-o custom-columns=…` for a table action: the slide's kubectl line and the printed columns come from one list. */
function customColumns(...columns: Array<[header: string, path: string]>): { columns: Array<{ header: string; path: string }>; arg: string } {
  return { columns: columns.map(([header, path]) => ({ header, path })), arg: `-o custom-columns=${columns.map(([h, p]) => `${h}:${p}`).join(',')}` }
}
const POLICY_COLUMNS = customColumns(['NAME', '.metadata.name'], ['TIER', '.spec.tier'], ['ORDER', '.spec.order'], ['SELECTOR', '.spec.selector'], ['TYPES', '.spec.types[*]'])
const POOL_COLUMNS = customColumns(['NAME', '.metadata.name'], ['CIDR', '.spec.cidr'], ['BLOCKSIZE', '.spec.blockSize'], ['IPIP', '.spec.ipipMode'], ['VXLAN', '.spec.vxlanMode'], ['NATOUTGOING', '.spec.natOutgoing'], ['USES', '.spec.allowedUses[*]'])
const BLOCK_COLUMNS = customColumns(['CIDR', '.spec.cidr'], ['AFFINITY', '.spec.affinity'])
const AFFINITY_COLUMNS = customColumns(['NODE', '.spec.node'], ['CIDR', '.spec.cidr'], ['STATE', '.spec.state'])

// ---- policy steps ----------------------------------------------------------------------------------------------

/** One file per step, applied in this order (manifests/5*-policy-*.yaml). */
export const POLICY_STEPS = [
  { id: 'default-deny', file: 'manifests/50-policy-default-deny.yaml', title: 'Step 1 · default deny in dev1, DNS egress allowed' },
  { id: 'productpage', file: 'manifests/51-policy-productpage.yaml', title: 'Step 2 · productpage → details, reviews' },
  { id: 'details', file: 'manifests/52-policy-details.yaml', title: 'Step 3 · details ← productpage' },
  { id: 'reviews', file: 'manifests/53-policy-reviews.yaml', title: 'Step 4 · reviews ← productpage; reviews v2/v3 → ratings' },
  { id: 'ratings', file: 'manifests/54-policy-ratings.yaml', title: 'Step 5 · ratings ← reviews v2/v3' },
  { id: 'outside-range', file: 'manifests/55-policy-outside-range.yaml', title: `Step 6 · productpage ← ${LAB.allowedRange} only` },
] as const

/**
 * The probe matrix of the demo moment "the first n policy steps applied" (catalog/matrix.ts defines them; the catalog
 * checks every `then` names one). Applying step k re-runs the matrix of moment k, removing it the one of moment k-1,
 * so each slide — and the export — keeps its own last run. With every step applied it is the summary's `reach-matrix`.
 */
export const matrixAfterSteps = (n: number): string => (n >= POLICY_STEPS.length ? 'reach-matrix' : `reach-matrix-step-${n}`)

export const policyApply: ApplyAction[] = POLICY_STEPS.map((step, i) => ({
  id: `policy-${step.id}-apply`,
  title: step.title,
  kind: 'apply',
  manifests: [step.file],
  namespaces: ['dev1'],
  kubectl: `kubectl apply --server-side -f ${step.file}`,
  timeoutMs: 15_000,
  then: matrixAfterSteps(i + 1),
}))

export const policyDelete: DeleteAction[] = POLICY_STEPS.map((step, i) => ({
  id: `policy-${step.id}-delete`,
  title: `Remove: ${step.title}`,
  kind: 'delete',
  manifests: [step.file],
  namespaces: ['dev1'],
  kubectl: `kubectl delete -f ${step.file} --ignore-not-found`,
  timeoutMs: 15_000,
  then: matrixAfterSteps(i),
}))

const reversedPolicyFiles = POLICY_STEPS.map((s) => s.file).reverse()

/** Back to the open baseline (what `npm run demo:reset` does). */
export const policiesReset: DeleteAction = {
  id: 'policies-reset',
  title: 'Remove every policy step: back to the open baseline',
  kind: 'delete',
  manifests: reversedPolicyFiles,
  namespaces: ['dev1'],
  kubectl: `kubectl delete --ignore-not-found ${reversedPolicyFiles.map((f) => `-f ${f}`).join(' ')}`,
  timeoutMs: 30_000,
}

// ---- reads -----------------------------------------------------------------------------------------------------

const dev1GetAll: TableAction = {
  id: 'dev1-get-all',
  title: 'What runs in dev1',
  kind: 'table',
  resource: 'all',
  namespace: 'dev1',
  namespaces: ['dev1'],
  kubectl: 'kubectl get all -n dev1',
  timeoutMs: READ_TIMEOUT_MS,
}

const dev1Services: TableAction = {
  id: 'dev1-services',
  title: `The exposure: productpage-lb gets ${LAB.lbIp} from Calico LoadBalancer IPAM`,
  kind: 'table',
  resource: 'services',
  namespace: 'dev1',
  wide: true,
  namespaces: ['dev1'],
  kubectl: 'kubectl get services -n dev1 -o wide',
  timeoutMs: READ_TIMEOUT_MS,
}

const dev1Policies: TableAction = {
  id: 'dev1-policies',
  title: 'The Calico policies now in dev1',
  kind: 'table',
  resource: 'networkpolicies.projectcalico.org',
  namespace: 'dev1',
  namespaces: ['dev1'],
  columns: POLICY_COLUMNS.columns,
  kubectl: `kubectl get networkpolicies.projectcalico.org -n dev1 ${POLICY_COLUMNS.arg}`,
  timeoutMs: READ_TIMEOUT_MS,
}

// ---- routing internals -----------------------------------------------------------------------------------------
// A node's routes: calico-node runs with hostNetwork, so `ip route` inside it is the node's own table (the image
// ships iproute and BIRD's client). The runner picks the first Running calico-node pod, as `kubectl exec ds/...`
// does; pinning a node would need a field selector (spec.nodeName) on exec actions — see the report.

const nodeRoutes: ExecAction = {
  id: 'node-routes',
  title: 'A node’s routes: cali* /32 per local pod, blackhole for its own /26, other nodes’ blocks via BGP',
  kind: 'exec',
  namespace: 'calico-system',
  selector: 'k8s-app=calico-node',
  container: 'calico-node',
  command: ['ip', 'route'],
  namespaces: ['calico-system'],
  kubectl: 'kubectl exec -n calico-system ds/calico-node -c calico-node -- ip route',
  timeoutMs: READ_TIMEOUT_MS,
}

const nodeBgp: ExecAction = {
  id: 'node-bgp-status',
  title: 'BIRD on that node: the node-to-node mesh and the peer host1',
  kind: 'exec',
  namespace: 'calico-system',
  selector: 'k8s-app=calico-node',
  container: 'calico-node',
  command: ['birdcl', '-s', '/var/run/calico/bird.ctl', 'show', 'protocols'],
  namespaces: ['calico-system'],
  kubectl: 'kubectl exec -n calico-system ds/calico-node -c calico-node -- birdcl -s /var/run/calico/bird.ctl show protocols',
  timeoutMs: READ_TIMEOUT_MS,
}

const POD_NETWORK = 'ip -4 addr show eth0; ip route'
const podNetwork: ExecAction = {
  id: 'pod-network',
  title: 'Inside a pod: eth0 with a /32, default route via 169.254.1.1',
  kind: 'exec',
  namespace: 'dev1',
  selector: 'app=alpine',
  container: 'alpine',
  command: ['sh', '-c', POD_NETWORK],
  namespaces: ['dev1'],
  kubectl: `kubectl exec -n dev1 alpine -- sh -c '${POD_NETWORK}'`,
  timeoutMs: READ_TIMEOUT_MS,
}

const ippools: TableAction = {
  id: 'ippools',
  title: 'IP pools: pods (198.19.16.0/21, /26 blocks, IPIPCrossSubnet) and LoadBalancer (198.19.48.0/24)',
  kind: 'table',
  resource: 'ippools',
  namespaces: [],
  columns: POOL_COLUMNS.columns,
  kubectl: `kubectl get ippools.projectcalico.org ${POOL_COLUMNS.arg}`,
  timeoutMs: READ_TIMEOUT_MS,
}

const ipamBlocks: TableAction = {
  id: 'ipam-blocks',
  title: 'IPAM blocks and the node each is affine to',
  kind: 'table',
  resource: 'ipamblocks',
  namespaces: [],
  columns: BLOCK_COLUMNS.columns,
  kubectl: `kubectl get ipamblocks.crd.projectcalico.org ${BLOCK_COLUMNS.arg}`,
  timeoutMs: READ_TIMEOUT_MS,
}

const blockAffinities: TableAction = {
  id: 'block-affinities',
  title: 'Block affinities: which node owns which /26',
  kind: 'table',
  resource: 'blockaffinities',
  namespaces: [],
  columns: AFFINITY_COLUMNS.columns,
  kubectl: `kubectl get blockaffinities.crd.projectcalico.org ${AFFINITY_COLUMNS.arg}`,
  timeoutMs: READ_TIMEOUT_MS,
}

// ---- Calico components -----------------------------------------------------------------------------------------

const calicoPods: TableAction = {
  id: 'calico-system-pods',
  title: 'Calico components: calico-node (Felix, BIRD, confd), Typha, kube-controllers, CSI driver',
  kind: 'table',
  resource: 'pods',
  namespace: 'calico-system',
  wide: true,
  namespaces: ['calico-system'],
  kubectl: 'kubectl get pods -n calico-system -o wide',
  timeoutMs: READ_TIMEOUT_MS,
}

const tigerastatus: TableAction = {
  id: 'tigerastatus',
  title: 'What the operator reports',
  kind: 'table',
  resource: 'tigerastatuses',
  namespaces: [],
  kubectl: 'kubectl get tigerastatus',
  timeoutMs: READ_TIMEOUT_MS,
}

/** Every pod-side step of the demo, in demo order, then the removal actions (PolicyStep and demo:reset use them). */
export const demoActions: Action[] = [
  dev1GetAll,
  ...podProbes('', 'open baseline'),
  dev1Services,
  ...policyApply,
  dev1Policies,
  ...podProbes('-after', 'after the policies'),
  nodeRoutes,
  nodeBgp,
  podNetwork,
  ippools,
  ipamBlocks,
  blockAffinities,
  calicoPods,
  tigerastatus,
  ...policyDelete,
  policiesReset,
]

// ---- outside the cluster: the proposed `host` kind --------------------------------------------------------------

/** kind when the context is the rehearsal's (or DEMO_LAB=kind), else the VMs. */
export function labFor(context: string | null, override: string | undefined = process.env.DEMO_LAB): Lab {
  if (override === 'kind' || override === 'vms') return override
  return context === LAB.kindContext ? 'kind' : 'vms'
}

const CURL_WRITE_OUT = 'HTTP %{http_code} from %{local_ip}\\n'
const curlLb = (extra: string[] = []) => [
  'curl', '-sS', '-o', '/dev/null', '--max-time', '5', '-w', CURL_WRITE_OUT, ...extra, `http://${LAB.lbIp}/productpage`,
]
const PARTS = `curl -sS --max-time 5 http://${LAB.lbIp}/productpage | grep -o -E "Book Details|Book Reviews|glyphicon-star|Error fetching product [a-z]+|Ratings service is currently unavailable" | sort | uniq -c`

function hostProbes(suffix: string, when: string): HostAction[] {
  return [
    {
      id: `probe-host1-productpage${suffix}`,
      title: `host1 ${LAB.host1Ip}, inside ${LAB.allowedRange} → productpage ${LAB.lbIp} (${when})`,
      kind: 'host',
      argv: {
        kind: ['docker', 'exec', 'host1', ...curlLb()],
        vms: ['multipass', 'exec', 'host1', '--', ...curlLb()],
      },
      namespaces: [],
      timeoutMs: PROBE_TIMEOUT_MS,
    },
    {
      id: `probe-other-range-productpage${suffix}`,
      title: `a client of another range, ${LAB.otherIp} → productpage ${LAB.lbIp} (${when})`,
      kind: 'host',
      argv: {
        kind: ['docker', 'exec', 'host2', ...curlLb()],
        vms: ['multipass', 'exec', 'host1', '--', ...curlLb(['--interface', LAB.otherIp])],
      },
      namespaces: [],
      timeoutMs: PROBE_TIMEOUT_MS,
    },
  ]
}

const bookinfoParts: HostAction = {
  id: 'probe-host1-bookinfo-parts-after',
  title: 'host1 → productpage: details, reviews and ratings (stars) all answer under least privilege',
  kind: 'host',
  argv: {
    kind: ['docker', 'exec', 'host1', 'sh', '-c', PARTS],
    vms: ['multipass', 'exec', 'host1', '--', 'sh', '-c', PARTS],
  },
  namespaces: [],
  timeoutMs: PROBE_TIMEOUT_MS,
}

const host1Routes: HostAction = {
  id: 'host1-routes',
  title: `host1, outside the cluster: ${LAB.lbIp}/32 learned over BGP from the node running productpage`,
  kind: 'host',
  argv: {
    kind: ['docker', 'exec', 'host1', 'ip', 'route'],
    vms: ['multipass', 'exec', 'host1', '--', 'ip', 'route'],
  },
  namespaces: [],
  timeoutMs: READ_TIMEOUT_MS,
}

export const hostActions: HostAction[] = [
  ...hostProbes('', 'open baseline'),
  ...hostProbes('-after', 'after the policies'),
  bookinfoParts,
  host1Routes,
]

/** The demo, in the assessment's order: ids from demoActions and hostActions. */
export const demoSequence: string[] = [
  'dev1-get-all',
  'probe-ratings-productpage',
  'probe-alpine-dev1-productpage',
  'probe-alpine-default-productpage',
  'dev1-services',
  'probe-host1-productpage',
  'probe-other-range-productpage',
  ...POLICY_STEPS.map((s) => `policy-${s.id}-apply`),
  'dev1-policies',
  'probe-ratings-productpage-after',
  'probe-alpine-dev1-productpage-after',
  'probe-alpine-default-productpage-after',
  'probe-host1-productpage-after',
  'probe-other-range-productpage-after',
  'probe-host1-bookinfo-parts-after',
  'node-routes',
  'node-bgp-status',
  'pod-network',
  'ippools',
  'ipam-blocks',
  'block-affinities',
  'host1-routes',
  'calico-system-pods',
  'tigerastatus',
]
