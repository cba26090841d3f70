// Policy engine benchmarks: a synthetic cluster (1,000 pods in 20 namespaces, 200 policies of every kind the
// engine knows: Kubernetes NetworkPolicies, Calico NetworkPolicies and GlobalNetworkPolicies in two tiers) probed
// 10,000 times; and the lab's own matrix from manifests/. Seeded, so every run measures the same work.
import { join } from 'node:path'
import { reachMatrix } from '../demo-server/src/catalog/matrices.ts'
import { buildModel, compilePolicies, evaluate, Evaluator, labMatrix, modelFromManifests } from '../demo-server/src/policy/index.ts'
import type { Probe } from '../demo-server/src/policy/index.ts'
import { expectation } from '../demo-server/src/matrix/expectation.ts'
import { offlineExpectation } from '../demo-server/src/matrix/offline.ts'
import { readMatrix } from '../demo-server/src/matrix/reachability.ts'

export interface EngineFigures {
  pods: number
  policies: number
  probes: number
  allowedShare: number
  /** buildModel + compilePolicies */
  compileMs: number
  /** evaluating the probes (Evaluator, cached selections) */
  evaluateMs: number
  totalMs: number
  /** the lab's matrix (manifests/, labMatrix: every ordered pair on 9080 + DNS), evaluation only, median */
  labProbes: number
  labMs: number
  /** the slide's matrix (reach-matrix: 10 × 5 cells, Service backends), expectation only, median */
  slideCells: number
  slideMs: number
}

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function syntheticCluster(podCount = 1000, policyCount = 200, probeCount = 10_000, seed = 4) {
  const rand = prng(seed)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!
  const NS = 20
  const apps = Array.from({ length: 25 }, (_, i) => `app-${i}`)
  const tiers = ['a', 'b', 'c']
  const roles = ['web', 'db', 'cache', 'api']
  const namespaces = Array.from({ length: NS }, (_, i) => ({ name: `ns-${i}`, labels: { team: `team-${i % 4}`, env: i % 2 ? 'prod' : 'dev' } }))
  const pods = Array.from({ length: podCount }, (_, i) => ({
    namespace: `ns-${i % NS}`,
    name: `pod-${i}`,
    labels: { app: apps[i % apps.length]!, tier: tiers[i % 3]!, role: roles[i % 4]! },
    ip: `10.1.${i >> 8}.${i & 255}`,
    serviceAccount: `sa-${i % 5}`,
    ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' as const }, { name: 'metrics', containerPort: 9090, protocol: 'TCP' as const }],
  }))
  const policies: object[] = [
    { apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name: 'security' }, spec: { order: 100, defaultAction: 'Pass' } },
  ]
  for (let i = 0; i < policyCount; i++) {
    const ns = `ns-${i % NS}`
    const app = pick(apps)
    if (i % 10 < 4) {
      // 40 %: Kubernetes NetworkPolicy
      policies.push({
        apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `knp-${i}`, namespace: ns },
        spec: {
          podSelector: { matchLabels: { app } },
          policyTypes: i % 3 === 0 ? ['Ingress', 'Egress'] : ['Ingress'],
          ingress: [{
            from: [{ podSelector: { matchLabels: { role: pick(roles) } } }, { namespaceSelector: { matchLabels: { team: `team-${i % 4}` } }, podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] } }],
            ports: [{ port: i % 2 ? 8080 : 'http', protocol: 'TCP' }],
          }],
          ...(i % 3 === 0 ? { egress: [{ to: [{ ipBlock: { cidr: '10.1.0.0/16', except: ['10.1.3.0/24'] } }], ports: [{ port: 8080 }] }, { ports: [{ port: 53, protocol: 'UDP' }] }] } : {}),
        },
      })
    } else if (i % 10 < 9) {
      // 50 %: Calico NetworkPolicy in the default tier, orders mixed, Allow / Deny / Log
      policies.push({
        apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: `cnp-${i}`, namespace: ns },
        spec: {
          order: i % 7 === 0 ? undefined : 10 + (i % 50) * 10,
          selector: `app == '${app}' && tier in {'${pick(tiers)}', '${pick(tiers)}'}`,
          types: ['Ingress', 'Egress'],
          ingress: [
            { action: 'Log', protocol: 'TCP', source: { selector: `role == '${pick(roles)}'` } },
            { action: i % 4 === 0 ? 'Deny' : 'Allow', protocol: 'TCP', source: { selector: `has(role) && role != 'db'`, namespaceSelector: `team == 'team-${i % 4}'` }, destination: { ports: [8080, '9000:9100'] } },
            { action: 'Allow', protocol: 'TCP', source: { serviceAccounts: { names: [`sa-${i % 5}`] } }, destination: { ports: ['http'] } },
          ],
          egress: [
            { action: 'Allow', protocol: 'UDP', destination: { selector: "k8s-app == 'kube-dns'", namespaceSelector: 'all()', ports: [53] } },
            { action: 'Allow', protocol: 'TCP', destination: { nets: ['10.1.0.0/17'], notPorts: [9090] } },
            { action: 'Deny', destination: { notSelector: `tier == 'c'` } },
          ],
        },
      })
    } else {
      // 10 %: GlobalNetworkPolicy, half of them in the security tier (Pass to the default tier)
      const inTier = i % 20 === 9
      policies.push({
        apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: inTier ? `security.gnp-${i}` : `gnp-${i}` },
        spec: {
          ...(inTier ? { tier: 'security' } : {}),
          order: i,
          selector: `role == '${pick(roles)}' || tier == 'c'`,
          namespaceSelector: `env == '${i % 2 ? 'prod' : 'dev'}'`,
          types: ['Ingress'],
          ingress: [
            { action: 'Deny', protocol: 'TCP', source: { nets: ['192.0.2.0/24'] } },
            { action: inTier ? 'Pass' : 'Allow', source: { selector: `app starts with 'app-1'` } },
          ],
        },
      })
    }
  }
  const probes: Probe[] = []
  for (let i = 0; i < probeCount; i++) {
    const src = pods[Math.floor(rand() * pods.length)]!
    const from = rand() < 0.05 ? `192.0.2.${1 + Math.floor(rand() * 250)}` : `${src.namespace}/${src.name}` // 5 % from outside
    const dst = pods[Math.floor(rand() * pods.length)]!
    const dns = rand() < 0.1
    probes.push({ from, to: `${dst.namespace}/${dst.name}`, port: dns ? 53 : pick([8080, 8080, 8080, 9090, 9050]), protocol: dns ? 'UDP' : 'TCP' })
  }
  return { namespaces, pods, policies, probes }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export function benchEngine(repoRoot = join(import.meta.dirname, '..')): EngineFigures {
  const { namespaces, pods, policies, probes } = syntheticCluster()
  const t0 = performance.now()
  const model = buildModel({ namespaces, pods, serviceAccounts: [] })
  const set = compilePolicies(policies, model)
  const t1 = performance.now()
  const evaluator = new Evaluator(model, set)
  let allowed = 0
  for (const p of probes) if (evaluator.decide(p).allowed) allowed++
  const t2 = performance.now()

  // the lab: manifests/ once, then the matrix evaluated many times (a fresh Evaluator each: no cache carried over)
  const lab = modelFromManifests(join(repoRoot, 'manifests'))
  const matrix = labMatrix(lab)
  const labTimes: number[] = []
  for (let i = 0; i < 50; i++) {
    const s = performance.now()
    evaluate(lab.model, lab.policies, matrix.probes)
    labTimes.push(performance.now() - s)
  }
  // the slide's matrix: the expectation line the demo server writes first in a run
  const endpoints = new Map(readMatrix(offlineExpectation(reachMatrix, repoRoot)).reachability!.rows.filter((r) => r.endpoint).map((r) => [r.id, r.endpoint]))
  const inputs = { model: lab.model, policies: lab.policies, policyNames: [], notes: [] }
  const slideTimes: number[] = []
  let cells = 0
  for (let i = 0; i < 50; i++) {
    const s = performance.now()
    cells = expectation(reachMatrix, 'manifests', inputs, endpoints).opinions.length
    slideTimes.push(performance.now() - s)
  }
  return {
    pods: model.pods.length,
    policies: set.policies.length,
    probes: probes.length,
    allowedShare: allowed / probes.length,
    compileMs: t1 - t0,
    evaluateMs: t2 - t1,
    totalMs: t2 - t0,
    labProbes: matrix.probes.length,
    labMs: median(labTimes),
    slideCells: cells,
    slideMs: median(slideTimes),
  }
}

if (import.meta.main) console.log(benchEngine())
