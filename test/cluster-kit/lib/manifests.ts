// manifests/ for the cluster-kit tests, read by the demo server's own reader (demo-server/src/manifests.ts).
import { libShConstants as libShConstantsOf } from '../../../scripts/lib/bgp/cluster.ts'
import { manifestFilesIn, parseManifestText, readManifestDocs, REPO_ROOT } from '../../../demo-server/src/manifests.ts'

export const ROOT = `${REPO_ROOT}/`
export const MANIFEST_DIR = 'manifests'

export interface Doc {
  /** repo-relative path */
  file: string
  index: number
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  obj: any
}

export function manifestFiles(): string[] {
  return manifestFilesIn(REPO_ROOT, MANIFEST_DIR)
}

/** Every document of a YAML text; throws on any YAML error or warning. */
export function parseDocs(text: string, file: string): Doc[] {
  return parseManifestText(text, file).map((d) => ({ file: d.file, index: d.index, obj: d.object }))
}

export function loadDocs(file: string): Doc[] {
  return readManifestDocs(REPO_ROOT, [file]).map((d) => ({ file: d.file, index: d.index, obj: d.object }))
}

export function allDocs(): Doc[] {
  return manifestFiles().flatMap(loadDocs)
}

export const gvk = (o: { apiVersion?: string; kind?: string }) => `${o.apiVersion}/${o.kind}`

/** Namespaces that exist without this repo creating them. */
export const BUILTIN_NAMESPACES = ['default', 'kube-system']
/** Created by the Tigera operator (manifests/10-calico-installation.yaml). */
export const OPERATOR_NAMESPACES = ['calico-system', 'tigera-operator']

export function knownNamespaces(docs: Doc[] = allDocs()): string[] {
  const declared = docs.filter((d) => gvk(d.obj) === 'v1/Namespace').map((d) => d.obj.metadata.name as string)
  return [...BUILTIN_NAMESPACES, ...OPERATOR_NAMESPACES, ...declared]
}

export interface PodModel {
  namespace: string
  name: string
  labels: Record<string, string>
  containers: string[]
  /** the pod's ServiceAccount (`default` when the spec names none), what Calico's serviceAccount matches read */
  serviceAccount: string
}

/** The pods the lab runs: one per Deployment replica template, plus bare Pods. */
export function podModels(docs: Doc[] = allDocs()): PodModel[] {
  const pods: PodModel[] = []
  for (const { obj } of docs) {
    if (gvk(obj) === 'apps/v1/Deployment') {
      pods.push({
        namespace: obj.metadata.namespace,
        name: obj.metadata.name,
        labels: obj.spec.template.metadata.labels,
        containers: obj.spec.template.spec.containers.map((c: { name: string }) => c.name),
        serviceAccount: obj.spec.template.spec.serviceAccountName ?? 'default',
      })
    } else if (gvk(obj) === 'v1/Pod') {
      pods.push({
        namespace: obj.metadata.namespace,
        name: obj.metadata.name,
        labels: obj.metadata.labels ?? {},
        containers: obj.spec.containers.map((c: { name: string }) => c.name),
        serviceAccount: obj.spec.serviceAccountName ?? 'default',
      })
    }
  }
  return pods
}

/** `KEY=VALUE` constants of scripts/lib.sh. */
export function libShConstants(): Record<string, string> {
  return libShConstantsOf(ROOT + 'scripts/lib.sh')
}
