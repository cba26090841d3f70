// The expected half of the matrix: the policy engine (demo-server/src/policy) on a cluster model, cell by cell.
// Live, the model is read through client-node at the start of each run (namespaces, pods, service accounts,
// networking.k8s.io/v1 NetworkPolicies, projectcalico.org/v3 Tiers, (Global)NetworkPolicies and (Global)NetworkSets);
// offline, it is derived from manifests/ with every policy file applied.
import { basename, join } from 'node:path'
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node'
import type { KubeConfig, V1Pod } from '@kubernetes/client-node'
import type { MatrixSource, MatrixTarget, ProbeMatrixAction } from '../catalog/types.ts'
import { describeClusterError } from '../cluster.ts'
import { POLICY_STEPS } from '../catalog/demo.ts'
import { buildModel, CaseError, compilePolicies, Evaluator, modelFromManifests } from '../policy/index.ts'
import type { ClusterModel, PolicySet, Pod, ProbeResult } from '../policy/index.ts'
import type { NamespaceInput, PodInput, ServiceAccountInput } from '../policy/model.ts'
import type { Packet, Peer } from '../policy/compiled.ts'
import type { ExpectedCell, ExpectedLine, ExpectedVerdict, MatrixCol, MatrixRow } from './cells.ts'

export interface EngineInputs {
  model: ClusterModel
  policies: PolicySet
  /** "Kind ns/name" of every policy resource used */
  policyNames: string[]
  notes: string[]
}

/** `a=b,c=d` (what the catalog writes): every term must match. */
export function matchesSelector(labels: Readonly<Record<string, string>>, selector: string): boolean {
  return selector.split(',').map((t) => t.trim()).filter(Boolean).every((term) => {
    const neq = term.split('!=')
    if (neq.length === 2) return labels[neq[0]!.trim()] !== neq[1]!.trim()
    const [key, value] = term.split('=')
    return value === undefined ? key!.trim() in labels : labels[key!.trim()] === value.trim()
  })
}

/** Whether the cell source → target is probed, and if not why. */
export function probePlan(source: MatrixSource, target: MatrixTarget): { probed: true } | { probed: false; note: string } {
  if (!source.outside) return { probed: true }
  if (target.kind === 'dns') return { probed: false, note: 'outside clients do not use the cluster DNS: not probed' }
  if (target.external || source.outside.reaches === 'external-and-pods') return { probed: true }
  return { probed: false, note: source.outside.unprobed ?? `${source.label} only reaches exposed addresses: not probed` }
}

export const matrixCols = (action: ProbeMatrixAction): MatrixCol[] =>
  action.targets.map((t) => ({ id: t.id, label: t.label, port: t.port, protocol: t.protocol }))

/** The pod a pod source uses: Running, not being deleted, oldest first (as exec actions pick theirs). */
export function pickPod(pods: readonly V1Pod[], namespace: string, selector: string): V1Pod | undefined {
  const created = (p: V1Pod): number => {
    const c = p.metadata?.creationTimestamp as Date | string | undefined
    return c instanceof Date ? c.getTime() : Date.parse(String(c ?? '')) || 0
  }
  return pods
    .filter((p) => p.metadata?.namespace === namespace && p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp)
    .filter((p) => matchesSelector(p.metadata?.labels ?? {}, selector))
    .sort((a, b) => created(a) - created(b) || String(a.metadata?.name).localeCompare(String(b.metadata?.name)))[0]
}

/**
 * A pod reaching its own Service: kube-proxy sends the packet back to the pod it came from (hairpin). Unlike a
 * connection to its own IP (which never leaves the pod, and which the engine rightly never polices), this packet
 * leaves through the pod's interface and comes back in, so the pod's egress and ingress policy both see it.
 * (kube-proxy also masquerades hairpin traffic, so ingress sees the node's address; the pod's own is used here.)
 */
function hairpin(evaluator: Evaluator, pod: Pod, target: MatrixTarget): ProbeResult {
  const self: Peer = { ip: pod.ipNumber, ipText: pod.ip, pod }
  const packet: Packet = { src: self, dst: self, protocol: target.protocol, port: target.port }
  const egress = evaluator.verdict(pod, 'egress', packet)
  const ingress = evaluator.verdict(pod, 'ingress', packet)
  const allowed = egress.allowed && ingress.allowed
  const why = !egress.allowed ? egress.reason : !ingress.allowed ? ingress.reason : `${egress.reason}; ${ingress.reason}`
  return {
    from: pod.key, to: pod.key, port: target.port, protocol: target.protocol, allowed, egress, ingress,
    reason: `through its own Service (hairpin: out of the pod and back in, policed both ways): ${why}`,
  }
}

const verdictOf = (results: readonly ProbeResult[]): ExpectedVerdict => {
  if (results.length === 0) return 'unknown'
  if (results.every((r) => r.allowed)) return 'allowed'
  if (results.every((r) => !r.allowed)) return 'denied'
  return 'mixed'
}

/**
 * One cell: the engine on every backend of the target (a Service sends a connection to one of them).
 * `from` is the source's engine name ("ns/pod" or an IP), "" when its pod was not found.
 */
function cell(evaluator: Evaluator | undefined, source: MatrixSource, target: MatrixTarget, from: string, unknownWhy: string | undefined): ExpectedCell {
  const plan = probePlan(source, target)
  const base = { from: source.id, to: target.id, probed: plan.probed, ...(plan.probed ? {} : { note: plan.note.slice(0, 300) }) }
  if (!evaluator) return { ...base, expected: 'unknown', reason: unknownWhy ?? 'no expectation' }
  if (!from) return { ...base, expected: 'unknown', reason: `no Running pod matches ${source.pod?.selector ?? '?'} in ${source.pod?.namespace ?? '?'}` }
  const backends = evaluator.model.pods.filter((p: Pod) => p.namespace === target.namespace && matchesSelector(p.labels, target.selector))
  if (backends.length === 0) return { ...base, expected: 'unknown', reason: `no pod behind ${target.service}.${target.namespace} (${target.selector})` }
  const results: ProbeResult[] = []
  try {
    for (const b of backends) {
      results.push(b.key === from ? hairpin(evaluator, b, target) : evaluator.decide({ from, to: b.key, port: target.port, protocol: target.protocol }))
    }
  } catch (error) {
    return { ...base, expected: 'unknown', reason: error instanceof CaseError ? error.message : String(error) }
  }
  const verdict = verdictOf(results)
  const via = source.outside && target.external
    ? `via the LoadBalancer ${target.external.ip}:${target.external.port}, DNAT to the pod's ${target.port} (externalTrafficPolicy: Local keeps ${from} as the source). `
    : ''
  const reason = results.length === 1
    ? `${via}${results[0]!.reason}`
    : `${via}${verdict === 'mixed' ? 'the backends disagree' : `${verdict} for all ${results.length} backends`}:\n${results.map((r) => `• ${r.to}: ${r.reason}`).join('\n')}`
  return { ...base, expected: verdict, reason: reason.slice(0, 4000) }
}

/** The expected line for `action` on `inputs` (or every cell unknown, with `problem` as the reason). */
export function buildExpected(
  action: ProbeMatrixAction,
  source: ExpectedLine['source'],
  inputs: EngineInputs | { problem: string },
  endpoints: ReadonlyMap<string, string>,
): ExpectedLine {
  const ok = 'model' in inputs
  const evaluator = ok ? new Evaluator(inputs.model, inputs.policies) : undefined
  const rows: MatrixRow[] = action.sources.map((s) => ({
    id: s.id,
    label: s.label,
    group: s.group,
    via: s.outside ? 'host' : s.pod?.via ?? 'exec',
    endpoint: s.outside ? s.outside.ip : endpoints.get(s.id) ?? '',
  }))
  const cells: ExpectedCell[] = []
  for (const s of action.sources) {
    const from = s.outside ? s.outside.ip : endpoints.get(s.id) ?? ''
    for (const t of action.targets) cells.push(cell(evaluator, s, t, from, ok ? undefined : inputs.problem))
  }
  return {
    kind: 'expected',
    source,
    computedAt: new Date().toISOString(),
    rows,
    cols: matrixCols(action),
    cells,
    policies: ok ? inputs.policyNames.slice(0, 500).map((n) => n.slice(0, 300)) : [],
    notes: (ok ? inputs.notes : [inputs.problem]).map((n) => n.slice(0, 600)).slice(0, 50),
  }
}

// ---- offline: manifests/ ------------------------------------------------------------------------------------

const nameOf = (r: unknown): string => {
  const o = r as { kind?: string; metadata?: { name?: string; namespace?: string } }
  return `${o.kind ?? '?'} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '?'}`
}

/** The engine on manifests/ with the matrix's policy steps applied (all of them unless it names a demo moment). */
export function expectedFromManifests(action: ProbeMatrixAction, repoRoot: string): ExpectedLine {
  try {
    const steps = action.policyStepsApplied
    const later = steps === undefined ? [] : POLICY_STEPS.slice(steps).map((s) => basename(s.file))
    const m = modelFromManifests(join(repoRoot, action.manifestsDir), { skip: (path) => later.includes(basename(path)) })
    const applied = steps === undefined || steps >= POLICY_STEPS.length ? 'every policy applied' : steps === 0 ? 'no policy step applied yet' : `policy steps 1–${steps} applied`
    const endpoints = new Map<string, string>()
    for (const s of action.sources) {
      if (!s.pod) continue
      const pod = m.model.pods.find((p) => p.namespace === s.pod?.namespace && matchesSelector(p.labels, s.pod.selector))
      if (pod) endpoints.set(s.id, pod.key)
    }
    const notes = [
      `expected from ${action.manifestsDir}/ (${m.files.length} files, ${applied}), not read from a cluster`,
      ...m.notes.filter((n) => /stand-in/.test(n)),
    ]
    return buildExpected(action, 'manifests', { model: m.model, policies: m.policies, policyNames: m.resources.map(nameOf), notes }, endpoints)
  } catch (error) {
    return buildExpected(action, 'manifests', { problem: `the engine could not read ${action.manifestsDir}/: ${(error as Error).message}` }, new Map())
  }
}

// ---- live: read through the API --------------------------------------------------------------------------------

/** Calico resources converted from Kubernetes ones (already read as such) carry these prefixes. */
const CONVERTED = /^(knp\.default\.|kanp\.|kbanp\.|kcnp\.)/

/** Namespaces the matrix's pods live in. */
export function matrixNamespaces(action: ProbeMatrixAction): string[] {
  return [...new Set([...action.sources.flatMap((s) => (s.pod ? [s.pod.namespace] : [])), ...action.targets.map((t) => t.namespace)])]
}

export interface ClusterRead {
  /** every pod of the matrix's namespaces, as listed (the runner picks sources from them) */
  pods: V1Pod[]
  inputs: EngineInputs | { problem: string }
}

function podInput(p: V1Pod): PodInput | undefined {
  if (p.status?.phase !== 'Running' || !p.status.podIP || p.spec?.hostNetwork || p.metadata?.deletionTimestamp) return undefined
  return {
    namespace: p.metadata?.namespace ?? '',
    name: p.metadata?.name ?? '',
    labels: p.metadata?.labels ?? {},
    ip: p.status.podIP,
    serviceAccount: p.spec?.serviceAccountName || 'default',
    ports: (p.spec?.containers ?? []).flatMap((c) => c.ports ?? []).map((port) => ({
      name: port.name,
      containerPort: port.containerPort,
      protocol: port.protocol === 'UDP' || port.protocol === 'SCTP' ? port.protocol : 'TCP',
    })),
  }
}

interface RawList { items?: unknown[] }

/** Compiles the policies; a resource the engine refuses is left out (and named in the notes) rather than losing all. */
function compileLenient(resources: unknown[], model: ClusterModel, notes: string[]): PolicySet {
  try {
    return compilePolicies(resources, model, { field: 'cluster' })
  } catch (error) {
    if (!(error instanceof CaseError)) throw error
  }
  const kindOf = (r: unknown) => (r as { kind?: string }).kind ?? ''
  const context = resources.filter((r) => ['Tier', 'NetworkSet', 'GlobalNetworkSet'].includes(kindOf(r)))
  const kept: unknown[] = []
  for (const r of resources.filter((x) => !context.includes(x))) {
    try {
      compilePolicies([...context, r], model, { field: 'cluster' })
      kept.push(r)
    } catch (error) {
      notes.push(`${nameOf(r)} left out by the engine: ${error instanceof CaseError ? error.issues[0] : String(error)}`)
    }
  }
  return compilePolicies([...context, ...kept], model, { field: 'cluster' })
}

/**
 * Reads what the engine needs. Pods are required (the probes need them: a failure throws); policies are not (a
 * failure leaves every expectation unknown, with the reason).
 */
export async function readCluster(kc: KubeConfig, action: ProbeMatrixAction): Promise<ClusterRead> {
  const pods = await listMatrixPods(kc, action)
  return { pods, inputs: await readEngineInputs(kc, action, pods) }
}

/** Every pod of the matrix's namespaces (the probes need them: a failure throws). */
export async function listMatrixPods(kc: KubeConfig, action: ProbeMatrixAction): Promise<V1Pod[]> {
  const core = kc.makeApiClient(CoreV1Api)
  const namespaces = matrixNamespaces(action)
  const podLists = await Promise.all(namespaces.map((namespace) => core.listNamespacedPod({ namespace })))
  return podLists.flatMap((l, i) => l.items.map((p) => (p.metadata?.namespace ? p : { ...p, metadata: { ...p.metadata, namespace: namespaces[i] } })))
}

/** Namespaces, service accounts and policies, compiled with the pods into the engine's model. Never throws. */
export async function readEngineInputs(kc: KubeConfig, action: ProbeMatrixAction, pods: readonly V1Pod[]): Promise<EngineInputs | { problem: string }> {
  const core = kc.makeApiClient(CoreV1Api)
  const namespaces = matrixNamespaces(action)
  try {
    const custom = kc.makeApiClient(CustomObjectsApi)
    const notes: string[] = []
    const [nsList, saLists, k8sPolicies] = await Promise.all([
      core.listNamespace(),
      Promise.all(namespaces.map((namespace) => core.listNamespacedServiceAccount({ namespace }))),
      custom.listClusterCustomObject({ group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies' }) as Promise<RawList>,
    ])
    const calico: unknown[] = []
    const plurals: Array<[string, string]> = [['tiers', 'Tier'], ['globalnetworksets', 'GlobalNetworkSet'], ['networksets', 'NetworkSet'], ['globalnetworkpolicies', 'GlobalNetworkPolicy'], ['networkpolicies', 'NetworkPolicy']]
    const calicoLists = await Promise.all(plurals.map(async ([plural, kind]) => {
      try {
        const list = (await custom.listClusterCustomObject({ group: 'projectcalico.org', version: 'v3', plural })) as RawList
        return (list.items ?? []).map((item) => ({ apiVersion: 'projectcalico.org/v3', kind, ...(item as object) }))
      } catch (error) {
        if (describeClusterError(error).kind === 'not-found') return null
        throw error
      }
    }))
    if (calicoLists.some((l) => l === null)) notes.push('projectcalico.org/v3 is not served (no Calico API server?): Calico resources could not be read; the expectation covers Kubernetes NetworkPolicies only')
    for (const list of calicoLists) for (const r of list ?? []) {
      const name = (r as { metadata?: { name?: string } }).metadata?.name ?? ''
      if (CONVERTED.test(name)) continue
      calico.push(r)
    }
    const strip = (r: unknown) => {
      const { status: _status, ...rest } = r as Record<string, unknown>
      return rest
    }
    const k8s = (k8sPolicies.items ?? []).map((item) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', ...(item as object) }))
    const resources = [...k8s, ...calico].map(strip)

    const nsInputs: NamespaceInput[] = nsList.items.map((n) => ({ name: n.metadata?.name ?? '', labels: n.metadata?.labels ?? {} }))
    const saInputs: ServiceAccountInput[] = saLists.flatMap((l) => l.items.map((s) => ({ namespace: s.metadata?.namespace ?? '', name: s.metadata?.name ?? '', labels: s.metadata?.labels ?? {} })))
    const seenIps = new Set<string>()
    const podInputs = pods.flatMap((p) => {
      const input = podInput(p)
      if (!input || seenIps.has(input.ip)) return []
      seenIps.add(input.ip)
      return [input]
    })
    const model = buildModel({ namespaces: nsInputs, pods: podInputs, serviceAccounts: saInputs })
    const policies = compileLenient(resources, model, notes)
    return { model, policies, policyNames: resources.map(nameOf), notes }
  } catch (error) {
    const message = error instanceof CaseError ? error.message : describeClusterError(error).message
    return { problem: `the policies could not be read or compiled, so nothing is expected: ${message}` }
  }
}
