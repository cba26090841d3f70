// What a matrix run reads from the cluster, through client-node, each request carrying the run's signal: the pods of
// the matrix's namespaces (the probes leave from them); where each column's probes aim and what sits on the path — the
// target Services (ClusterIP, port name), their EndpointSlices' readiness, Felix's deny action from the `default`
// FelixConfiguration; and the engine's inputs — namespaces, service accounts, networking.k8s.io/v1 NetworkPolicies,
// projectcalico.org/v3 Tiers, (Global)NetworkPolicies, (Global)NetworkSets and the three staged policy kinds.
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api } from '@kubernetes/client-node'
import type { KubeConfig, V1EndpointSlice, V1Pod, V1Service } from '@kubernetes/client-node'
import type { MatrixTarget, ProbeMatrixAction } from '../catalog/types.ts'
import { abortable } from '../kube/clients.ts'
import { describeClusterError } from '../kube/cluster.ts'
import { buildModel, CaseError, compilePolicies } from '../policy/index.ts'
import type { ClusterModel, PolicySet } from '../policy/index.ts'
import type { NamespaceInput, PodInput, ServiceAccountInput } from '../policy/model.ts'
import type { EngineInputs } from './expectation.ts'
import { resourceName } from './expectation.ts'
import { matrixNamespaces } from './model.ts'
import { denyActionOf, readyEndpointCount } from './verdict.ts'
import type { FelixConfigurationSpecLike, ProbeContext } from './verdict.ts'

/** Calico resources converted from Kubernetes ones (already read as such) carry these prefixes. */
const CONVERTED = /^(knp\.default\.|kanp\.|kbanp\.|kcnp\.)/

/**
 * Every answer, or the first failure once all have ended. Unlike Promise.all, nothing is left in flight when one
 * fails: an answer nobody waits for any more would hold its connection open.
 */
async function allAnswered<T>(requests: Array<Promise<T>>): Promise<T[]> {
  const results = await Promise.allSettled(requests)
  const failed = results.find((r) => r.status === 'rejected')
  if (failed) throw failed.reason
  return results.map((r) => (r as PromiseFulfilledResult<T>).value)
}

/** Every pod of the matrix's namespaces (the probes need them: a failure throws). */
export async function listMatrixPods(kc: KubeConfig, action: ProbeMatrixAction, signal: AbortSignal): Promise<V1Pod[]> {
  const core = abortable(kc, CoreV1Api, signal)
  const namespaces = matrixNamespaces(action)
  const podLists = await allAnswered(namespaces.map((namespace) => core.listNamespacedPod({ namespace })))
  return podLists.flatMap((l, i) => l.items.map((p) => (p.metadata?.namespace ? p : { ...p, metadata: { ...p.metadata, namespace: namespaces[i] } })))
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
      notes.push(`${resourceName(r)} left out by the engine: ${error instanceof CaseError ? error.issues[0] : String(error)}`)
    }
  }
  return compilePolicies([...context, ...kept], model, { field: 'cluster' })
}

/** Namespaces, service accounts and policies, compiled with the pods into the engine's model. Never throws. */
export async function readEngineInputs(kc: KubeConfig, action: ProbeMatrixAction, pods: readonly V1Pod[], signal: AbortSignal): Promise<EngineInputs | { problem: string }> {
  const core = abortable(kc, CoreV1Api, signal)
  const custom = abortable(kc, CustomObjectsApi, signal)
  const namespaces = matrixNamespaces(action)
  try {
    const notes: string[] = []
    const [nsList, saLists, k8sPolicies] = await Promise.all([
      core.listNamespace(),
      Promise.all(namespaces.map((namespace) => core.listNamespacedServiceAccount({ namespace }))),
      custom.listClusterCustomObject({ group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies' }) as Promise<RawList>,
    ])
    const plurals: Array<[string, string]> = [['tiers', 'Tier'], ['globalnetworksets', 'GlobalNetworkSet'], ['networksets', 'NetworkSet'], ['globalnetworkpolicies', 'GlobalNetworkPolicy'], ['networkpolicies', 'NetworkPolicy'],
      // staged policies change no verdict but the pending one (policy/staged.ts), which the matrix shows beside Calico's
      ['stagedglobalnetworkpolicies', 'StagedGlobalNetworkPolicy'], ['stagednetworkpolicies', 'StagedNetworkPolicy'], ['stagedkubernetesnetworkpolicies', 'StagedKubernetesNetworkPolicy']]
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
    const calico = calicoLists.flatMap((l) => l ?? []).filter((r) => !CONVERTED.test((r as { metadata?: { name?: string } }).metadata?.name ?? ''))
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
    return { model, policies, policyNames: resources.map(resourceName), notes }
  } catch (error) {
    const message = error instanceof CaseError ? error.message : describeClusterError(error).message
    return { problem: `the policies could not be read or compiled, so nothing is expected: ${message}` }
  }
}

// ---- where the probes aim, and the path's context ------------------------------------------------------------------

/** One column as the API describes it. */
export interface TargetFacts {
  /** the Service's ClusterIP, where pod probes aim (absent: see `problem`) */
  clusterIp?: string
  port: number
  /** ready endpoints behind that Service port; undefined when the EndpointSlices could not be read */
  readyEndpoints?: number
  /** why pods cannot aim at it (no Service, headless, no such port, the Services could not be read) */
  problem?: string
  /** the LoadBalancer Service outside clients reach it through, and its ready endpoints for that port */
  external?: { service: string; readyEndpoints?: number }
}

export interface ProbeTargets {
  /** target id → facts */
  targets: Map<string, TargetFacts>
  denyAction: ProbeContext['denyAction']
  /** what could not be read, and what was assumed instead (for the run's info lines) */
  notes: string[]
}

const FELIX = { group: 'projectcalico.org', version: 'v3', plural: 'felixconfigurations', name: 'default' }
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown }
const settled = <T>(p: Promise<T>): Promise<Settled<T>> => p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }))

/** The Service port a probe of `target` uses: same port number and protocol. */
function servicePort(svc: V1Service, port: number, protocol: string) {
  return svc.spec?.ports?.find((p) => p.port === port && (p.protocol ?? 'TCP') === protocol)
}

/** The LoadBalancer Service whose address is `ip` (status.loadBalancer.ingress, or externalIPs). */
function loadBalancerFor(services: readonly V1Service[], ip: string): V1Service | undefined {
  return services.find((s) => s.spec?.type === 'LoadBalancer' && ((s.status?.loadBalancer?.ingress ?? []).some((i) => i.ip === ip) || (s.spec?.externalIPs ?? []).includes(ip)))
}

function factsOf(target: MatrixTarget, services: readonly V1Service[] | undefined, slices: readonly V1EndpointSlice[] | undefined, unreadServices: string): TargetFacts {
  const facts: TargetFacts = { port: target.port }
  const ready = (svc: V1Service, portName: string) =>
    slices && readyEndpointCount(slices.filter((sl) => sl.metadata?.labels?.[SERVICE_NAME_LABEL] === svc.metadata?.name), portName)
  if (!services) return { ...facts, problem: unreadServices }
  const svc = services.find((x) => x.metadata?.name === target.service)
  const where = `Service ${target.namespace}/${target.service}`
  if (!svc) facts.problem = `${where} not found: no ClusterIP to aim at`
  else {
    const port = servicePort(svc, target.port, target.protocol)
    const ip = svc.spec?.clusterIP
    if (!ip || ip === 'None') facts.problem = `${where} has no ClusterIP (${ip === 'None' ? 'headless' : 'none allocated'})`
    else if (!port) facts.problem = `${where} has no port ${target.port}/${target.protocol}`
    else {
      facts.clusterIp = ip
      facts.readyEndpoints = ready(svc, port.name ?? '')
    }
  }
  if (target.external) {
    const lb = loadBalancerFor(services, target.external.ip)
    const port = lb && servicePort(lb, target.external.port, target.protocol)
    if (lb?.metadata?.name && port) facts.external = { service: lb.metadata.name, readyEndpoints: ready(lb, port.name ?? '') }
  }
  return facts
}

/**
 * Each target's Service (ClusterIP, port name) and its EndpointSlices' readiness, and Felix's deny action. Never throws
 * but for a cancel: what cannot be read becomes a target's `problem` (its cells are errors that say so) or a note
 * (Drop assumed, endpoints assumed ready).
 */
export async function readProbeTargets(kc: KubeConfig, action: ProbeMatrixAction, signal: AbortSignal): Promise<ProbeTargets> {
  const core = abortable(kc, CoreV1Api, signal)
  const discovery = abortable(kc, DiscoveryV1Api, signal)
  const custom = abortable(kc, CustomObjectsApi, signal)
  const namespaces = [...new Set(action.targets.map((t) => t.namespace))]
  const [services, slices, felix] = await Promise.all([
    settled(allAnswered(namespaces.map((namespace) => core.listNamespacedService({ namespace })))),
    settled(allAnswered(namespaces.map((namespace) => discovery.listNamespacedEndpointSlice({ namespace })))),
    settled(custom.getClusterCustomObject(FELIX) as Promise<{ spec?: FelixConfigurationSpecLike }>),
  ])
  signal.throwIfAborted()
  const notes: string[] = []
  const byNamespace = <T extends { metadata?: { namespace?: string } }>(lists: Array<{ items: T[] }>, namespace: string): T[] =>
    lists[namespaces.indexOf(namespace)]?.items ?? []
  const unreadServices = services.ok ? '' : `the Services could not be read, so there is no ClusterIP to aim at: ${describeClusterError(services.error).message}`
  if (!slices.ok) notes.push(`the EndpointSlices could not be read (${describeClusterError(slices.error).message}): every Service is taken to have ready endpoints, so a refused probe reads "nothing listening"`)
  let denyAction: ProbeContext['denyAction'] = 'Drop'
  if (felix.ok) denyAction = denyActionOf(felix.value.spec)
  else {
    const { kind, message } = describeClusterError(felix.error)
    notes.push(kind === 'not-found'
      ? 'no FelixConfiguration "default" (or no Calico API server): deny action Drop assumed, Felix\'s default'
      : `the FelixConfiguration "default" could not be read (${message}): deny action Drop assumed, Felix's default`)
  }
  const targets = new Map(action.targets.map((t) => [t.id, factsOf(
    t,
    services.ok ? byNamespace(services.value, t.namespace) : undefined,
    slices.ok ? byNamespace(slices.value, t.namespace) : undefined,
    unreadServices,
  )]))
  return { targets, denyAction, notes }
}
