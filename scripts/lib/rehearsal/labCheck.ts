// Before a rehearsal applies anything: is this context the lab? The rehearsal applies and removes policies and restarts
// a Deployment, so on any other cluster it must refuse, and say why.
//
// "The lab" is decided twice, by name and by content:
// - the name: kind-calico-lab (npm run cluster:kind), the current context of the VMs' kubeconfig
//   (tmp/cluster-kit/vms.kubeconfig, written by npm run cluster:vms; its context name is kubeadm's), or a context the
//   presenter named with --context — any other context is refused before the API is asked anything;
// - the content, whatever the name: dev1 exists and carries the lab's labels (manifests/00-namespaces.yaml), default
//   exists, bookinfo's Deployments are in dev1, and so is the productpage-lb Service. A cluster that merely shares a
//   context name with the lab has none of that.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node'
import { LAB } from '../../../demo-server/src/catalog/lab.ts'
import { abortable } from '../../../demo-server/src/kube/clients.ts'
import type { ClusterAccess } from '../../../demo-server/src/kube/cluster.ts'
import { describeClusterError } from '../../../demo-server/src/kube/cluster.ts'
import { readManifests, REPO_ROOT } from '../../../demo-server/src/manifests.ts'

/** Where npm run cluster:vms writes the VMs' kubeconfig (scripts/lib.sh STATE_DIR). */
export const VMS_KUBECONFIG = 'tmp/cluster-kit/vms.kubeconfig'

export interface LabCheck {
  ok: boolean
  /** why the context was accepted, or why not (one line each) */
  reasons: string[]
}

/** The current context of the VMs' kubeconfig, when it exists. */
function vmsContext(repoRoot: string): string | undefined {
  const file = join(repoRoot, VMS_KUBECONFIG)
  if (!existsSync(file)) return undefined
  try {
    const kc = new KubeConfig()
    kc.loadFromFile(file)
    return kc.getCurrentContext() || undefined
  } catch {
    return undefined
  }
}

/** The labels dev1 carries in the lab's manifests. */
function labNamespaceLabels(repoRoot: string): Record<string, string> {
  const ns = readManifests(repoRoot, ['manifests/00-namespaces.yaml']).find((o) => o.kind === 'Namespace' && o.metadata.name === LAB.namespace)
  return ((ns?.metadata as { labels?: Record<string, string> } | undefined)?.labels) ?? {}
}

export async function checkLabContext(access: ClusterAccess, options: { explicit: boolean; signal: AbortSignal; repoRoot?: string; timeoutMs?: number }): Promise<LabCheck> {
  const repoRoot = options.repoRoot ?? REPO_ROOT
  const kc = access.kubeConfig
  if (!kc || !access.context) return { ok: false, reasons: [access.problem ?? 'no kube context'] }
  const context = access.context
  const vms = vmsContext(repoRoot)
  const byName = context === LAB.kindContext ? `${context} is the kind rehearsal lab's context`
    : context === vms ? `${context} is the current context of the VMs' kubeconfig (${VMS_KUBECONFIG})`
      : options.explicit ? `${context} was named with --context`
        : undefined
  if (!byName) {
    return {
      ok: false,
      reasons: [
        `context "${context}" is not the lab's: not ${LAB.kindContext} (npm run cluster:kind)${vms ? `, not ${vms} (${VMS_KUBECONFIG})` : `, and there is no ${VMS_KUBECONFIG} (npm run cluster:vms)`}; if it is your lab, name it: npm run demo:rehearse -- --context ${context}`,
      ],
    }
  }

  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs ?? 8000)])
  const core = abortable(kc, CoreV1Api, signal)
  const apps = abortable(kc, AppsV1Api, signal)
  const problems: string[] = []
  /** a read the lab must answer; unreachable or forbidden ends the check at once */
  const read = async <T>(what: string, get: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await get()
    } catch (error) {
      options.signal.throwIfAborted()
      const failure = describeClusterError(error)
      if (failure.kind === 'not-found') problems.push(`${what} is missing`)
      else throw new Error(`${what} could not be read: ${failure.message}`)
      return undefined
    }
  }
  try {
    const dev1 = await read(`namespace ${LAB.namespace}`, () => core.readNamespace({ name: LAB.namespace }))
    if (dev1) {
      const want = labNamespaceLabels(repoRoot)
      const wrong = Object.entries(want).filter(([k, v]) => dev1.metadata?.labels?.[k] !== v)
      if (wrong.length > 0) problems.push(`namespace ${LAB.namespace} lacks the lab's labels ${wrong.map(([k, v]) => `${k}=${v}`).join(', ')} (manifests/00-namespaces.yaml)`)
    }
    await read(`namespace ${LAB.otherNamespace}`, () => core.readNamespace({ name: LAB.otherNamespace }))
    if (dev1) {
      const deployments = await read(`the Deployments of ${LAB.namespace}`, () => apps.listNamespacedDeployment({ namespace: LAB.namespace }))
      const names = new Set((deployments?.items ?? []).map((d) => d.metadata?.name))
      const missing = LAB.deployments.filter((d) => !names.has(d))
      if (missing.length > 0) problems.push(`bookinfo is not in ${LAB.namespace}: no Deployment ${missing.join(', ')} (manifests/30-bookinfo.yaml)`)
      await read(`Service ${LAB.namespace}/${LAB.lbService}`, () => core.readNamespacedService({ namespace: LAB.namespace, name: LAB.lbService }))
    }
  } catch (error) {
    options.signal.throwIfAborted()
    return { ok: false, reasons: [`${byName}, but ${(error as Error).message}`] }
  }
  if (problems.length > 0) return { ok: false, reasons: [`${byName}, but it does not hold the lab: ${problems.join('; ')}`] }
  return { ok: true, reasons: [`${byName}; it holds the lab: ${LAB.namespace} with the lab's labels, ${LAB.otherNamespace}, bookinfo's ${LAB.deployments.length} Deployments, ${LAB.lbService}`] }
}
