// Loading manifests/ for the cluster-kit tests.
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const MANIFEST_DIR = 'manifests'

export interface Doc {
  /** repo-relative path */
  file: string
  index: number
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  obj: any
}

export function manifestFiles(): string[] {
  return readdirSync(ROOT + MANIFEST_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => `${MANIFEST_DIR}/${f}`)
}

/** Parses every document of a YAML text; throws on any YAML error or warning. */
export function parseDocs(text: string, file: string): Doc[] {
  return parseAllDocuments(text, { strict: true, uniqueKeys: true })
    .map((d, index) => {
      if (d.errors.length > 0) throw new Error(`${file} doc ${index}: ${d.errors.map((e) => e.message).join('; ')}`)
      if (d.warnings.length > 0) throw new Error(`${file} doc ${index}: ${d.warnings.map((e) => e.message).join('; ')}`)
      return { file, index, obj: d.toJS() }
    })
    .filter((d) => d.obj !== null && d.obj !== undefined)
}

export function loadDocs(file: string): Doc[] {
  return parseDocs(readFileSync(ROOT + file, 'utf8'), file)
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
      })
    } else if (gvk(obj) === 'v1/Pod') {
      pods.push({
        namespace: obj.metadata.namespace,
        name: obj.metadata.name,
        labels: obj.metadata.labels ?? {},
        containers: obj.spec.containers.map((c: { name: string }) => c.name),
      })
    }
  }
  return pods
}

/** `KEY=VALUE` constants of scripts/lib.sh. */
export function libShConstants(): Record<string, string> {
  const text = readFileSync(ROOT + 'scripts/lib.sh', 'utf8')
  const out: Record<string, string> = {}
  for (const m of text.matchAll(/^([A-Z][A-Z0-9_]*)=([^\s#]+)/gm)) out[m[1]!] = m[2]!
  return out
}

// ---- IPv4 helpers ----------------------------------------------------------------------------------------------

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number)
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`)
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0
}

export function parseCidr(cidr: string): { base: number; bits: number } {
  const [ip, bitsText] = cidr.split('/')
  const bits = Number(bitsText)
  if (!ip || !Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`not an IPv4 CIDR: ${cidr}`)
  const base = ipToInt(ip)
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
  if ((base & mask) >>> 0 !== base) throw new Error(`host bits set in ${cidr}`)
  return { base, bits }
}

export function cidrContains(cidr: string, ip: string): boolean {
  const { base, bits } = parseCidr(cidr)
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
  return ((ipToInt(ip) & mask) >>> 0) === base
}

export function cidrsOverlap(a: string, b: string): boolean {
  const A = parseCidr(a)
  const B = parseCidr(b)
  const bits = Math.min(A.bits, B.bits)
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
  return ((A.base & mask) >>> 0) === ((B.base & mask) >>> 0)
}
