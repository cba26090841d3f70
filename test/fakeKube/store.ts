// In-memory object store with a global resourceVersion, an event history (so watches can resume from a
// resourceVersion) and live watchers.
import { randomUUID } from 'node:crypto'
import { apiVersionOf, findByKind, groupResource } from './resources.ts'
import type { ResourceDef } from './resources.ts'
import { alreadyExists, badRequest, failure, notFound } from './status.ts'
import type { V1StatusBody } from './status.ts'
import { fieldsV1 } from './patch.ts'
import type { Matcher } from './selectors.ts'

export interface ObjectMeta {
  name: string
  namespace?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  resourceVersion?: string
  uid?: string
  generation?: number
  creationTimestamp?: string
  managedFields?: ManagedFieldsEntry[]
  [k: string]: unknown
}

export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
  [k: string]: unknown
}

export interface ManagedFieldsEntry {
  manager: string
  operation: 'Apply' | 'Update'
  apiVersion: string
  time: string
  fieldsType: 'FieldsV1'
  fieldsV1: Record<string, unknown>
  subresource?: string
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface WatchEvent {
  type: EventType
  object: KubeObject
}

/** An API failure carrying the v1 Status the server answers with. */
export class ApiError extends Error {
  status: V1StatusBody
  constructor(status: V1StatusBody) {
    super(status.message ?? status.reason ?? 'error')
    this.status = status
  }
}

export interface WatchFilter {
  res: ResourceDef
  namespace?: string
  label: Matcher
  field: Matcher
}

interface Watcher extends WatchFilter {
  send: (ev: WatchEvent) => void
}

interface HistoryEntry {
  rv: number
  res: ResourceDef
  type: EventType
  object: KubeObject
  prev?: KubeObject
}

export interface WriteOptions {
  dryRun: boolean
  manager: string
}

/** Kinds without a spec; the API server does not track metadata.generation for them. */
const NO_GENERATION = new Set(['ConfigMap', 'Secret', 'Event', 'Endpoints', 'ServiceAccount', 'EndpointSlice'])

const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')

function specOf(obj: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = obj
  return JSON.stringify(rest)
}

function qualified(res: ResourceDef): string {
  return res.group ? `${res.name}.${res.group}` : res.name
}

/** IPv4 dotted quad ↔ number, for the ClusterIP allocator. */
const ipNumber = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0)
const ipText = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.')

export class Store {
  rv = 1000
  /** Where Services without a spec.clusterIP get one (the API server's --service-cluster-ip-range). */
  serviceCidr = '10.96.0.0/16'
  private items = new Map<string, KubeObject>()
  private history: HistoryEntry[] = []
  private watchers = new Set<Watcher>()

  private key(res: ResourceDef, namespace: string | undefined, name: string): string {
    return `${groupResource(res)}|${res.namespaced ? (namespace ?? '') : ''}|${name}`
  }

  /** Seed an object without emitting events (initial objects). */
  seed(input: object): void {
    const obj = structuredClone(input) as KubeObject
    const res = findByKind(String(obj.apiVersion), String(obj.kind))
    if (!res) throw new Error(`fake-kube: unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`)
    if (!obj.metadata?.name) throw new Error(`fake-kube: seed object of kind ${obj.kind} has no metadata.name`)
    if (res.namespaced) {
      obj.metadata.namespace ??= 'default'
      const ns = obj.metadata.namespace
      if (!this.get(this.namespaces(), undefined, ns)) this.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
    } else delete obj.metadata.namespace
    const created = this.prepareCreate(res, obj, { dryRun: false, manager: 'fake-kube-seed' }, false)
    // Seeds keep the identity they were given.
    if (obj.metadata.uid) created.metadata.uid = obj.metadata.uid
    if (obj.metadata.creationTimestamp) created.metadata.creationTimestamp = obj.metadata.creationTimestamp
    this.rv++
    created.metadata.resourceVersion = String(this.rv)
    this.items.set(this.key(res, obj.metadata.namespace, obj.metadata.name), created)
  }

  namespaces(): ResourceDef {
    const res = findByKind('v1', 'Namespace')
    if (!res) throw new Error('unreachable')
    return res
  }

  all(): KubeObject[] {
    return [...this.items.values()].map((o) => structuredClone(o))
  }

  get(res: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.items.get(this.key(res, namespace, name))
    return obj && structuredClone(obj)
  }

  mustGet(res: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    const obj = this.get(res, namespace, name)
    if (!obj) throw new ApiError(notFound(res.name, res.group, name))
    return obj
  }

  list(filter: WatchFilter): KubeObject[] {
    const out: Array<[string, KubeObject]> = []
    for (const [k, obj] of this.items) {
      if (this.matches(filter, obj)) out.push([k, obj])
    }
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    return out.map(([, o]) => structuredClone(o))
  }

  private matches(filter: WatchFilter, obj: KubeObject): boolean {
    if (apiVersionOf(filter.res) !== obj.apiVersion || filter.res.kind !== obj.kind) return false
    if (filter.namespace !== undefined && obj.metadata.namespace !== filter.namespace) return false
    return filter.label(obj) && filter.field(obj)
  }

  private prepareCreate(res: ResourceDef, input: KubeObject, opts: WriteOptions, checkNamespace: boolean): KubeObject {
    const obj = structuredClone(input)
    obj.apiVersion = apiVersionOf(res)
    obj.kind = res.kind
    const meta = obj.metadata
    if (!meta.name && typeof meta.generateName === 'string' && meta.generateName) {
      meta.name = meta.generateName + Math.random().toString(36).slice(2, 7)
    }
    if (!meta.name) {
      throw new ApiError(
        failure(422, `${res.kind} "" is invalid: metadata.name: Required value: name or generateName is required`, 'Invalid', {
          kind: res.kind,
          group: res.group || undefined,
          causes: [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }],
        }),
      )
    }
    if (checkNamespace && res.namespaced && !this.items.has(this.key(this.namespaces(), undefined, meta.namespace ?? ''))) {
      throw new ApiError(notFound('namespaces', '', meta.namespace ?? ''))
    }
    if (this.items.has(this.key(res, meta.namespace, meta.name))) throw new ApiError(alreadyExists(res.name, res.group, meta.name))
    delete meta.resourceVersion
    meta.uid = randomUUID()
    meta.creationTimestamp = now()
    if (!NO_GENERATION.has(res.kind)) meta.generation = 1
    else delete meta.generation
    if (res.kind === 'Namespace') {
      meta.labels = { ...meta.labels, 'kubernetes.io/metadata.name': meta.name }
      obj.spec ??= { finalizers: ['kubernetes'] }
      obj.status ??= { phase: 'Active' }
    }
    if (res.kind === 'Pod') obj.status ??= { phase: 'Pending' }
    if (res.kind === 'Service') this.defaultService(obj)
    if (!meta.managedFields) {
      meta.managedFields = [this.managedEntry(res, opts.manager, 'Update', input)]
    }
    return obj
  }

  /**
   * What the API server fills in on a new Service (k8s.io/api core/v1 defaults and the ClusterIP allocator): type
   * ClusterIP, sessionAffinity None, single-stack IPv4, protocol TCP and targetPort = port on each port, Cluster
   * traffic policies, and a free address of the service range (the lowest free one from .100 on, so tests are
   * repeatable; a real allocator picks at random, and static addresses such as kube-dns's .10 are set by whoever
   * creates the Service).
   */
  private defaultService(obj: KubeObject): void {
    const spec = ((obj.spec ??= {}) as Record<string, unknown>)
    spec.type ??= 'ClusterIP'
    spec.sessionAffinity ??= 'None'
    spec.internalTrafficPolicy ??= 'Cluster'
    if (spec.type === 'LoadBalancer' || spec.type === 'NodePort') spec.externalTrafficPolicy ??= 'Cluster'
    spec.ports = ((spec.ports as Array<Record<string, unknown>> | undefined) ?? []).map((p) => ({ ...p, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort ?? p.port }))
    if (spec.type !== 'ExternalName') {
      spec.ipFamilies ??= ['IPv4']
      spec.ipFamilyPolicy ??= 'SingleStack'
      if (!spec.clusterIP) spec.clusterIP = this.freeClusterIp()
      spec.clusterIPs ??= [spec.clusterIP]
    }
    obj.status ??= { loadBalancer: {} }
  }

  private freeClusterIp(): string {
    const [base = '', bits = '16'] = this.serviceCidr.split('/')
    const first = ipNumber(base)
    const size = 2 ** (32 - Number(bits))
    const taken = new Set([...this.items.values()].filter((o) => o.kind === 'Service').map((o) => String((o.spec as { clusterIP?: string } | undefined)?.clusterIP ?? '')))
    for (let i = 100; i < size - 1; i++) {
      const ip = ipText(first + i)
      if (!taken.has(ip)) return ip
    }
    throw new ApiError(failure(500, `Internal error occurred: failed to allocate a serviceIP: range is full`, 'InternalError'))
  }

  private managedEntry(res: ResourceDef, manager: string, operation: 'Apply' | 'Update', config: KubeObject, subresource?: string): ManagedFieldsEntry {
    const metaFields: Record<string, unknown> = {}
    if (config.metadata?.labels) metaFields.labels = config.metadata.labels
    if (config.metadata?.annotations) metaFields.annotations = config.metadata.annotations
    const { metadata: _m, ...rest } = config
    const fields = fieldsV1(Object.keys(metaFields).length ? { metadata: metaFields, ...rest } : rest)
    return {
      manager,
      operation,
      apiVersion: apiVersionOf(res),
      time: now(),
      fieldsType: 'FieldsV1',
      fieldsV1: fields,
      ...(subresource ? { subresource } : {}),
    }
  }

  private recordManager(res: ResourceDef, obj: KubeObject, manager: string, operation: 'Apply' | 'Update', config: KubeObject, subresource?: string): void {
    const entries = (obj.metadata.managedFields ?? []).filter(
      (e) => !(e.manager === manager && e.operation === operation && e.subresource === subresource),
    )
    entries.push(this.managedEntry(res, manager, operation, config, subresource))
    obj.metadata.managedFields = entries
  }

  create(res: ResourceDef, input: KubeObject, opts: WriteOptions): KubeObject {
    const obj = this.prepareCreate(res, input, opts, true)
    if (opts.dryRun) return obj
    return this.commit(res, obj, undefined)
  }

  /**
   * Replace an existing object with `next` (already merged by the caller). Keeps identity fields, bumps generation
   * when anything outside metadata/status changed, records the field manager, stores and emits MODIFIED.
   */
  update(
    res: ResourceDef,
    prev: KubeObject,
    next: KubeObject,
    opts: WriteOptions & { operation: 'Apply' | 'Update'; config: KubeObject; subresource?: string; expectRV?: string },
  ): KubeObject {
    if (opts.expectRV && opts.expectRV !== prev.metadata.resourceVersion) {
      throw new ApiError(
        failure(
          409,
          `Operation cannot be fulfilled on ${qualified(res)} "${prev.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
          'Conflict',
          { name: prev.metadata.name, group: res.group || undefined, kind: res.name },
        ),
      )
    }
    const obj = structuredClone(next)
    obj.apiVersion = prev.apiVersion
    obj.kind = prev.kind
    obj.metadata = {
      ...obj.metadata,
      name: prev.metadata.name,
      uid: prev.metadata.uid,
      creationTimestamp: prev.metadata.creationTimestamp,
      resourceVersion: prev.metadata.resourceVersion,
      managedFields: prev.metadata.managedFields,
    }
    if (res.namespaced) obj.metadata.namespace = prev.metadata.namespace
    else delete obj.metadata.namespace
    if (prev.metadata.generation !== undefined) {
      obj.metadata.generation = prev.metadata.generation + (specOf(obj) !== specOf(prev) ? 1 : 0)
    }
    this.recordManager(res, obj, opts.manager, opts.operation, opts.config, opts.subresource)
    if (opts.dryRun) return obj
    return this.commit(res, obj, prev)
  }

  /** Server-side apply: create, or merge the applied configuration into the live object. */
  applyCreate(res: ResourceDef, config: KubeObject, opts: WriteOptions): KubeObject {
    const obj = this.prepareCreate(res, config, opts, true)
    obj.metadata.managedFields = [this.managedEntry(res, opts.manager, 'Apply', config)]
    if (opts.dryRun) return obj
    return this.commit(res, obj, undefined)
  }

  delete(res: ResourceDef, namespace: string | undefined, name: string, dryRun: boolean): KubeObject {
    const obj = this.mustGet(res, namespace, name)
    if (dryRun) return obj
    if (res.kind === 'Namespace') {
      // Namespace deletion removes everything inside it (immediately; no Terminating phase is kept).
      for (const other of this.all()) {
        if (other.metadata.namespace !== name) continue
        const otherRes = findByKind(other.apiVersion, other.kind)
        if (otherRes?.namespaced) this.remove(otherRes, other)
      }
      obj.status = { phase: 'Terminating' }
      obj.metadata.deletionTimestamp = now()
    }
    return this.remove(res, obj)
  }

  private remove(res: ResourceDef, obj: KubeObject): KubeObject {
    this.items.delete(this.key(res, obj.metadata.namespace, obj.metadata.name))
    this.rv++
    const deleted = structuredClone(obj)
    deleted.metadata.resourceVersion = String(this.rv)
    this.emit({ rv: this.rv, res, type: 'DELETED', object: deleted })
    return structuredClone(deleted)
  }

  private commit(res: ResourceDef, obj: KubeObject, prev: KubeObject | undefined): KubeObject {
    this.rv++
    obj.metadata.resourceVersion = String(this.rv)
    this.items.set(this.key(res, obj.metadata.namespace, obj.metadata.name), obj)
    this.emit({ rv: this.rv, res, type: prev ? 'MODIFIED' : 'ADDED', object: structuredClone(obj), prev })
    return structuredClone(obj)
  }

  private emit(entry: HistoryEntry): void {
    this.history.push(entry)
    for (const w of this.watchers) {
      const ev = this.translate(w, entry)
      if (ev) w.send(ev)
    }
  }

  /** What a watcher with this filter sees for a history entry (label/field changes turn MODIFIED into ADDED/DELETED). */
  private translate(filter: WatchFilter, entry: HistoryEntry): WatchEvent | undefined {
    if (groupResource(entry.res) !== groupResource(filter.res)) return undefined
    const after = this.matches(filter, entry.object)
    if (entry.type !== 'MODIFIED') return after ? { type: entry.type, object: structuredClone(entry.object) } : undefined
    const before = entry.prev ? this.matches(filter, entry.prev) : false
    if (after && before) return { type: 'MODIFIED', object: structuredClone(entry.object) }
    if (after) return { type: 'ADDED', object: structuredClone(entry.object) }
    if (before) return { type: 'DELETED', object: structuredClone(entry.object) }
    return undefined
  }

  /**
   * Start a watch. Without a resourceVersion (or with "0") the current objects are sent as ADDED first;
   * with a resourceVersion, every change after it is replayed. Returns the stop function.
   */
  watch(filter: WatchFilter, resourceVersion: string | null, send: (ev: WatchEvent) => void): () => void {
    if (!resourceVersion || resourceVersion === '0') {
      for (const obj of this.list(filter)) send({ type: 'ADDED', object: obj })
    } else {
      const from = Number(resourceVersion)
      if (!Number.isInteger(from)) throw new ApiError(badRequest(`invalid resource version: ${resourceVersion}`))
      for (const entry of this.history) {
        if (entry.rv <= from) continue
        const ev = this.translate(filter, entry)
        if (ev) send(ev)
      }
    }
    const watcher: Watcher = { ...filter, send }
    this.watchers.add(watcher)
    return () => this.watchers.delete(watcher)
  }
}
