// A fake Kubernetes API server for tests: real HTTP on 127.0.0.1, real discovery, REST, watch and WebSocket exec,
// so @kubernetes/client-node is exercised for real. In-memory, single process, no TLS (the kubeconfig sets
// insecure-skip-tls-verify, which client-node requires for an http:// server).
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { KubeConfig } from '@kubernetes/client-node'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { ExecEndpoint, refuseUpgrade } from './exec.ts'
import type { ExecRequest, ExecScript } from './exec.ts'
import { containerStatus, running } from './kubelet.ts'
import type { EphemeralStarter } from './kubelet.ts'
import {
  apiGroupDoc,
  apiGroupList,
  apiResourceList,
  apiVersionOf,
  apiVersions,
  findByKind,
  findByPath,
  hasGroupVersion,
} from './resources.ts'
import type { ResourceDef } from './resources.ts'
import { ApiError, Store } from './store.ts'
import type { KubeObject, WatchFilter } from './store.ts'
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.ts'
import { jsonPatch, mergePatch, PatchError } from './patch.ts'
import { badRequest, failure, forced, notFound, success, unknownResource } from './status.ts'

export type { ExecRequest, ExecScript } from './exec.ts'
export type { KubeObject } from './store.ts'
export type { ContainerState, EphemeralStarter } from './kubelet.ts'

/** A pods/portforward upgrade for a pod that exists; the handler answers the upgrade (test/fakeWhisker/portForward.ts). */
export interface PortForwardRequest {
  namespace: string
  pod: string
  /** the `ports` query values, as sent */
  ports: string[]
  req: IncomingMessage
  socket: Duplex
  head: Buffer
}

export interface FakeKubeOptions {
  /** Initial objects, any known kind, full manifests. Namespaces they use are created if missing. */
  objects?: object[]
  /** gitVersion reported by /version (default v1.34.1). */
  version?: string
  /** Where Services without a spec.clusterIP get one (default 10.96.0.0/16, kind's default service subnet). */
  serviceCidr?: string
}

export interface FakeKube {
  /** http://127.0.0.1:PORT */
  url: string
  /** The bearer token the server accepts. */
  token: string
  /** A client-node KubeConfig pointing at the server (cluster, user with token, context). */
  kubeConfig(contextName?: string): KubeConfig
  /** The same, as a kubeconfig YAML file (for child processes). */
  writeKubeconfig(path: string, contextName?: string): void
  /** Per-test exec scripting; default: exit 0, no output. */
  onExec(handler: (req: ExecRequest) => ExecScript): void
  /**
   * The state the stand-in kubelet gives each ephemeral container added (default: running at once); e.g. an image-pull
   * waiting state from kubelet.ts. Tests move it on with upsert, as the kubelet would.
   */
  onEphemeralContainer(starter: EphemeralStarter | undefined): void
  /** Every exec request seen (including refused ones), in order. */
  readonly execRequests: ExecRequest[]
  /** Exec WebSockets currently open. */
  readonly openExecStreams: number
  /** Where pods/portforward upgrades go; without a handler they are refused (404), as for a pod that serves nothing. */
  onPortForward(handler: ((req: PortForwardRequest) => void) | undefined): void
  /** REST requests (watches included) that have arrived and whose response has not closed yet. */
  readonly openRequests: number
  /** Watch streams currently open. */
  readonly openWatches: number
  /** Every REST request seen, in order (exec upgrades are in execRequests). */
  readonly requests: RequestRecord[]
  /** Matching REST requests get no answer at all until the client goes away; returns an undo function. */
  stall(matcher: { method?: string; pathPrefix: string }): () => void
  /** Force an error response for matching requests (REST and exec upgrades); newest rule wins. Returns an undo function. */
  respond(matcher: { method?: string; pathPrefix: string }, status: number, body?: object): () => void
  /** Delay added to every REST response, in ms (default 0). */
  latencyMs: number
  /** Current store contents. */
  objects(): object[]
  /** Create or replace an object directly (as a controller would): bumps resourceVersion and notifies watches. */
  upsert(obj: object): object
  /** Delete an object directly; returns false when it did not exist. */
  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): boolean
  /** Stop: ends watches, terminates exec sockets, closes every connection; later connections are refused. */
  close(): Promise<void>
}

const DEFAULT_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system']
/** CRD-backed groups: the API server refuses strategic merge patch for custom resources. */
const CRD_GROUPS = new Set(['crd.projectcalico.org', 'operator.tigera.io'])
const APPLY = 'application/apply-patch+yaml'
const MERGE = 'application/merge-patch+json'
const STRATEGIC = 'application/strategic-merge-patch+json'
const JSON_PATCH = 'application/json-patch+json'
/** pods/ephemeralcontainers: only spec.ephemeralContainers may change, and only by adding (kubectl debug). */
const EPHEMERAL = 'ephemeralcontainers'

interface Rule {
  method?: string
  pathPrefix: string
  status: number
  body?: object
}

export interface RequestRecord {
  method: string
  path: string
  query: Record<string, string>
  contentType: string
}

interface Route {
  res: ResourceDef
  namespace?: string
  name?: string
  sub?: string
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function versionInfo(gitVersion: string): object {
  const m = gitVersion.match(/^v(\d+)\.(\d+)/)
  return {
    major: m?.[1] ?? '1',
    minor: m?.[2] ?? '34',
    gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-09-09T00:00:00Z',
    goVersion: 'go1.24.6',
    compiler: 'gc',
    platform: 'linux/amd64',
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function parseObject(text: string, contentType: string): unknown {
  try {
    return contentType.includes('yaml') ? parseYaml(text) : JSON.parse(text)
  } catch (err) {
    throw new ApiError(badRequest(`error decoding request body: ${(err as Error).message}`))
  }
}

function asObject(value: unknown): KubeObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ApiError(badRequest('the request body must be an object'))
  const obj = value as KubeObject
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = { name: '' }
  if (typeof obj.metadata !== 'object') throw new ApiError(badRequest('metadata must be an object'))
  return obj
}

/** Server-populated metadata a client may echo back; never taken from a request body. */
function stripServerFields(obj: KubeObject): KubeObject {
  const copy = structuredClone(obj)
  for (const k of ['uid', 'creationTimestamp', 'resourceVersion', 'generation', 'managedFields', 'deletionTimestamp']) {
    delete copy.metadata[k]
  }
  return copy
}

class FakeKubeServer implements FakeKube {
  url = ''
  token = `fake-token-${randomBytes(8).toString('hex')}`
  latencyMs = 0
  private server: Server
  private store = new Store()
  private exec = new ExecEndpoint(this.store)
  private rules: Rule[] = []
  private stalls: Array<{ method?: string; pathPrefix: string }> = []
  private watches = new Set<ServerResponse>()
  private portForward: ((req: PortForwardRequest) => void) | undefined
  private ephemeralStarter: EphemeralStarter | undefined
  requests: RequestRecord[] = []
  openRequests = 0
  private gitVersion: string
  private closed = false

  constructor(opts: FakeKubeOptions) {
    this.gitVersion = opts.version ?? 'v1.34.1'
    if (opts.serviceCidr) this.store.serviceCidr = opts.serviceCidr
    const seeds = [...(opts.objects ?? [])] as KubeObject[]
    seeds.sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'))
    for (const seed of seeds) this.store.seed(seed)
    const nsRes = this.store.namespaces()
    for (const ns of DEFAULT_NAMESPACES) {
      if (!this.store.get(nsRes, undefined, ns)) this.store.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
    }
    this.server = createServer((req, res) => void this.onRequest(req, res))
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head))
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(0, '127.0.0.1', () => resolve())
    })
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  get execRequests(): ExecRequest[] {
    return this.exec.requests
  }

  get openExecStreams(): number {
    return this.exec.open
  }

  get openWatches(): number {
    return this.watches.size
  }

  stall(matcher: { method?: string; pathPrefix: string }): () => void {
    this.stalls.push(matcher)
    return () => {
      this.stalls = this.stalls.filter((m) => m !== matcher)
    }
  }

  onExec(handler: (req: ExecRequest) => ExecScript): void {
    this.exec.handler = handler
  }

  onEphemeralContainer(starter: EphemeralStarter | undefined): void {
    this.ephemeralStarter = starter
  }

  onPortForward(handler: ((req: PortForwardRequest) => void) | undefined): void {
    this.portForward = handler
  }

  kubeConfig(contextName = 'fake-kube'): KubeConfig {
    const kc = new KubeConfig()
    kc.loadFromOptions({
      clusters: [{ name: contextName, server: this.url, skipTLSVerify: true }],
      users: [{ name: `${contextName}-user`, token: this.token }],
      contexts: [{ name: contextName, cluster: contextName, user: `${contextName}-user` }],
      currentContext: contextName,
    })
    return kc
  }

  writeKubeconfig(path: string, contextName = 'fake-kube'): void {
    const doc = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: contextName, cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: `${contextName}-user`, user: { token: this.token } }],
      contexts: [{ name: contextName, context: { cluster: contextName, user: `${contextName}-user` } }],
      'current-context': contextName,
      preferences: {},
    }
    writeFileSync(path, stringifyYaml(doc), { mode: 0o600 })
  }

  respond(matcher: { method?: string; pathPrefix: string }, status: number, body?: object): () => void {
    const rule: Rule = { ...matcher, status, body }
    this.rules.unshift(rule)
    return () => {
      this.rules = this.rules.filter((r) => r !== rule)
    }
  }

  objects(): object[] {
    return this.store.all()
  }

  upsert(input: object): object {
    const obj = structuredClone(input) as KubeObject
    const res = findByKind(String(obj.apiVersion), String(obj.kind))
    if (!res) throw new Error(`fake-kube: unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`)
    if (res.namespaced) obj.metadata.namespace ??= 'default'
    const prev = this.store.get(res, obj.metadata.namespace, obj.metadata.name)
    const opts = { dryRun: false, manager: 'fake-kube' }
    if (!prev) {
      if (res.namespaced && !this.store.get(this.store.namespaces(), undefined, obj.metadata.namespace ?? '')) {
        this.store.create(this.store.namespaces(), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: obj.metadata.namespace ?? '' } }, opts)
      }
      return this.store.create(res, stripServerFields(obj), opts)
    }
    return this.store.update(res, prev, stripServerFields(obj), { ...opts, operation: 'Update', config: obj })
  }

  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): boolean {
    const res = findByKind(apiVersion, kind)
    if (!res) throw new Error(`fake-kube: unknown apiVersion/kind ${apiVersion} ${kind}`)
    if (!this.store.get(res, namespace, name)) return false
    this.store.delete(res, namespace, name, false)
    return true
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const res of this.watches) res.end()
    await this.exec.closeAll()
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private authorized(req: IncomingMessage): boolean {
    return req.headers.authorization === `Bearer ${this.token}`
  }

  private forcedRule(method: string, path: string): Rule | undefined {
    return this.rules.find((r) => (!r.method || r.method.toUpperCase() === method) && path.startsWith(r.pathPrefix))
  }

  private send(res: ServerResponse, code: number, body: unknown): void {
    const json = JSON.stringify(body)
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json), 'Cache-Control': 'no-cache, private' })
    res.end(json)
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {})
    const url = new URL(req.url ?? '/', 'http://fake-kube')
    const method = req.method ?? 'GET'
    if (!this.authorized(req)) return refuseUpgrade(socket, 401, failure(401, 'Unauthorized', 'Unauthorized'))
    const rule = this.forcedRule(method, url.pathname)
    if (rule) return refuseUpgrade(socket, rule.status, rule.body ?? forced(rule.status, method, url.pathname))
    const pf = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/)
    if (pf && (method === 'GET' || method === 'POST')) {
      const namespace = decodeURIComponent(pf[1] ?? '')
      const pod = decodeURIComponent(pf[2] ?? '')
      if (!this.store.get(findByKind('v1', 'Pod') as ResourceDef, namespace, pod)) return refuseUpgrade(socket, 404, notFound('pods', '', pod))
      if (!this.portForward) return refuseUpgrade(socket, 404, unknownResource())
      return this.portForward({ namespace, pod, ports: url.searchParams.getAll('ports'), req, socket, head })
    }
    const m = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/)
    if (!m || (method !== 'GET' && method !== 'POST')) return refuseUpgrade(socket, 404, unknownResource())
    this.exec.handle(req, socket, head, decodeURIComponent(m[1] ?? ''), decodeURIComponent(m[2] ?? ''), url.searchParams)
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.openRequests++
    res.on('close', () => this.openRequests--)
    try {
      const url = new URL(req.url ?? '/', 'http://fake-kube')
      const method = req.method ?? 'GET'
      this.requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), contentType: String(req.headers['content-type'] ?? '').split(';')[0] ?? '' })
      const body = await readBody(req)
      if (this.stalls.some((m) => (!m.method || m.method.toUpperCase() === method) && url.pathname.startsWith(m.pathPrefix))) {
        return await new Promise<void>((resolve) => res.on('close', () => resolve()))
      }
      if (this.latencyMs > 0) await sleep(this.latencyMs)
      if (['/healthz', '/livez', '/readyz'].includes(url.pathname)) {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' })
        return void res.end('ok')
      }
      if (!this.authorized(req)) return this.send(res, 401, failure(401, 'Unauthorized', 'Unauthorized'))
      const rule = this.forcedRule(method, url.pathname)
      if (rule) return this.send(res, rule.status, rule.body ?? forced(rule.status, method, url.pathname))
      await this.route(req, res, url, method, body)
    } catch (err) {
      if (res.headersSent) return void res.destroy()
      if (err instanceof ApiError) return this.send(res, err.status.code, err.status)
      if (err instanceof SelectorError) return this.send(res, 400, badRequest(err.message))
      if (err instanceof PatchError) return this.send(res, 422, failure(422, err.message, 'Invalid'))
      this.send(res, 500, failure(500, `fake-kube internal error: ${(err as Error).stack ?? String(err)}`))
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, method: string, body: string): Promise<void> {
    const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent)
    if (method === 'GET' && url.pathname === '/version') return this.send(res, 200, versionInfo(this.gitVersion))
    let groupName: string
    let version: string
    let rest: string[]
    if (segs[0] === 'api') {
      if (segs.length === 1 && method === 'GET') return this.send(res, 200, apiVersions(this.url.replace('http://', '')))
      groupName = ''
      version = segs[1] ?? ''
      rest = segs.slice(2)
    } else if (segs[0] === 'apis') {
      if (segs.length === 1 && method === 'GET') return this.send(res, 200, apiGroupList())
      if (segs.length === 2 && method === 'GET') {
        const doc = apiGroupDoc(segs[1] ?? '')
        return doc ? this.send(res, 200, doc) : this.send(res, 404, unknownResource())
      }
      groupName = segs[1] ?? ''
      version = segs[2] ?? ''
      rest = segs.slice(3)
    } else {
      return this.send(res, 404, unknownResource())
    }
    if (!hasGroupVersion(groupName, version)) return this.send(res, 404, unknownResource())
    if (rest.length === 0) {
      return method === 'GET' ? this.send(res, 200, apiResourceList(groupName, version)) : this.send(res, 405, failure(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed'))
    }
    const route = this.parseRoute(groupName, version, rest)
    if (!route) return this.send(res, 404, unknownResource())
    await this.dispatch(req, res, url, method, body, route)
  }

  private parseRoute(groupName: string, version: string, rest: string[]): Route | undefined {
    let namespace: string | undefined
    let parts = rest
    const namespaceSub = rest.length === 3 && rest[0] === 'namespaces' && (rest[2] === 'status' || rest[2] === 'finalize')
    if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSub) {
      namespace = rest[1]
      parts = rest.slice(2)
    }
    if (parts.length > 3) return undefined
    const [plural = '', name, sub] = parts
    const res = findByPath(groupName, version, plural)
    if (!res) return undefined
    if (!res.namespaced && namespace !== undefined) return undefined
    if (res.namespaced && namespace === undefined && name !== undefined) return undefined
    if (sub !== undefined && !(res.subresources ?? []).some((s) => s.name === sub)) return undefined
    return { res, namespace, name, sub }
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, url: URL, method: string, body: string, route: Route): Promise<void> {
    const q = url.searchParams
    const dryRunParam = q.get('dryRun')
    if (dryRunParam !== null && dryRunParam !== 'All') {
      throw new ApiError(failure(400, `Unsupported value: "${dryRunParam}": supported values: "All"`, 'BadRequest'))
    }
    const dryRun = dryRunParam === 'All'
    const manager = q.get('fieldManager') || String(req.headers['user-agent'] ?? 'unknown').split('/')[0] || 'unknown'
    const contentType = String(req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim() ?? ''
    const { res: r, namespace, name, sub } = route
    const notAllowed = (): void => this.send(res, 405, failure(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed'))

    if (sub !== undefined && sub !== 'status' && sub !== EPHEMERAL) {
      if (sub === 'exec' && (method === 'GET' || method === 'POST')) return this.send(res, 400, badRequest('Upgrade request required'))
      return this.send(res, 404, unknownResource())
    }

    if (name === undefined) {
      const watch = q.get('watch')
      if (method === 'GET' && (watch === 'true' || watch === '1')) return this.watch(res, q, this.filter(r, namespace, q))
      if (method === 'GET') return this.send(res, 200, this.list(r, q, this.filter(r, namespace, q)))
      if (method === 'POST') {
        if (r.namespaced && namespace === undefined) return notAllowed()
        const obj = this.checkBody(r, asObject(parseObject(body, contentType)), namespace, undefined)
        return this.send(res, 201, this.store.create(r, this.prepareIncoming(r, stripServerFields(obj), true), { dryRun, manager }))
      }
      if (method === 'DELETE') {
        const items = this.store.list(this.filter(r, namespace, q)).map((o) => this.store.delete(r, o.metadata.namespace, o.metadata.name, dryRun))
        return this.send(res, 200, { kind: `${r.kind}List`, apiVersion: apiVersionOf(r), metadata: { resourceVersion: String(this.store.rv) }, items })
      }
      return notAllowed()
    }

    if (method === 'GET') {
      const watch = q.get('watch')
      if (watch === 'true' || watch === '1') {
        const filter = this.filter(r, namespace, q)
        const byName = parseFieldSelector(`metadata.name=${name}`, r.kind)
        return this.watch(res, q, { ...filter, field: (o) => byName(o) && filter.field(o) })
      }
      return this.send(res, 200, this.store.mustGet(r, namespace, name))
    }
    if (method === 'DELETE') {
      const deleted = this.store.delete(r, namespace, name, dryRun)
      // Pods and namespaces answer with the object (graceful deletion); most resources with a Success Status.
      if (r.kind === 'Pod' || r.kind === 'Namespace') return this.send(res, 200, deleted)
      return this.send(res, 200, success({ name, group: r.group || undefined, kind: r.name, uid: deleted.metadata.uid }))
    }
    if (method === 'PUT') {
      const prev = this.store.mustGet(r, namespace, name)
      const obj = this.checkBody(r, asObject(parseObject(body, contentType)), namespace, name)
      const expectRV = obj.metadata.resourceVersion
      const next = this.mergeForSubresource(r, prev, this.prepareIncoming(r, stripServerFields(obj), false), sub)
      return this.send(res, 200, this.store.update(r, prev, next, { dryRun, manager, operation: 'Update', config: obj, subresource: sub, expectRV }))
    }
    if (method === 'PATCH') return this.patch(res, q, r, namespace, name, sub, contentType, body, dryRun, manager)
    return notAllowed()
  }

  private async patch(
    res: ServerResponse,
    q: URLSearchParams,
    r: ResourceDef,
    namespace: string | undefined,
    name: string,
    sub: string | undefined,
    contentType: string,
    body: string,
    dryRun: boolean,
    manager: string,
  ): Promise<void> {
    const force = q.get('force')
    if (contentType === APPLY) {
      const fieldManager = q.get('fieldManager')
      if (!fieldManager) {
        throw new ApiError(failure(422, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', 'Invalid'))
      }
      const config = this.checkBody(r, asObject(parseObject(body, 'yaml')), namespace, name, true)
      const cleaned = stripServerFields(config)
      const prev = this.store.get(r, namespace, name)
      const opts = { dryRun, manager: fieldManager }
      if (!prev) {
        if (sub) throw new ApiError(failure(404, `${r.group ? `${r.name}.${r.group}` : r.name} "${name}" not found`, 'NotFound'))
        return this.send(res, 201, this.store.applyCreate(r, this.prepareIncoming(r, cleaned, true), opts))
      }
      const merged = mergePatch(prev, cleaned) as KubeObject
      const next = this.mergeForSubresource(r, prev, merged, sub)
      return this.send(res, 200, this.store.update(r, prev, next, { ...opts, operation: 'Apply', config, subresource: sub }))
    }
    if (force !== null) {
      throw new ApiError(failure(422, 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch', 'Invalid'))
    }
    const prev = this.store.mustGet(r, namespace, name)
    let patched: unknown
    if (contentType === MERGE || (contentType === STRATEGIC && !CRD_GROUPS.has(r.group))) {
      // Strategic merge is approximated by a JSON merge patch (lists are replaced, not merged by key).
      patched = mergePatch(prev, parseObject(body, 'json'))
    } else if (contentType === JSON_PATCH) {
      const ops = parseObject(body, 'json')
      if (!Array.isArray(ops)) throw new ApiError(badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch'))
      patched = jsonPatch(prev, ops)
    } else {
      throw new ApiError(
        failure(
          415,
          'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
          'UnsupportedMediaType',
        ),
      )
    }
    const next = this.checkBody(r, asObject(patched), namespace, name)
    const patchBody = parseObject(body, 'json')
    const config = contentType === JSON_PATCH ? next : asObject(patchBody)
    const merged = this.mergeForSubresource(r, prev, next, sub)
    return this.send(res, 200, this.store.update(r, prev, merged, { dryRun, manager, operation: 'Update', config, subresource: sub }))
  }

  /** Validate apiVersion/kind/name/namespace of a request body against the URL; fills in missing ones. */
  private checkBody(r: ResourceDef, obj: KubeObject, namespace: string | undefined, name: string | undefined, apply = false): KubeObject {
    const expected = apiVersionOf(r)
    if (apply && (!obj.apiVersion || !obj.kind)) throw new ApiError(badRequest('apiVersion and kind must be set in an apply configuration'))
    if (obj.apiVersion !== undefined && obj.apiVersion !== expected) {
      throw new ApiError(badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${expected})`))
    }
    if (obj.kind !== undefined && obj.kind !== r.kind) {
      throw new ApiError(badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${r.kind})`))
    }
    if (name !== undefined) {
      if (obj.metadata.name && obj.metadata.name !== name) {
        throw new ApiError(badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`))
      }
      obj.metadata.name = name
    }
    if (r.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== namespace) {
        throw new ApiError(badRequest('the namespace of the provided object does not match the namespace sent on the request'))
      }
      obj.metadata.namespace = namespace
    } else delete obj.metadata.namespace
    return obj
  }

  /** Resources with a status subresource ignore status on create (defaults apply instead). */
  private prepareIncoming(r: ResourceDef, obj: KubeObject, creating: boolean): KubeObject {
    if (creating && (r.subresources ?? []).some((s) => s.name === 'status')) delete obj.status
    return obj
  }

  /** Main resource writes keep the live status; /status writes change only status. */
  private mergeForSubresource(r: ResourceDef, prev: KubeObject, next: KubeObject, sub: string | undefined): KubeObject {
    const hasStatus = (r.subresources ?? []).some((s) => s.name === 'status')
    if (sub === 'status') return { ...prev, status: next.status }
    if (sub === EPHEMERAL) return this.addEphemeralContainers(prev, next)
    if (!hasStatus) return next
    const out = { ...next }
    if (prev.status === undefined) delete out.status
    else out.status = prev.status
    return out
  }

  /**
   * Like the API server, ephemeral containers can be added but never changed or removed, and names are unique in the
   * pod. Like a kubelet, the fake gives each new one a status: running at once, or what onEphemeralContainer says.
   */
  private addEphemeralContainers(prev: KubeObject, next: KubeObject): KubeObject {
    type Container = { name?: string; image?: string; [k: string]: unknown }
    const prevSpec = (prev.spec ?? {}) as { containers?: Container[]; initContainers?: Container[]; ephemeralContainers?: Container[] }
    const before = prevSpec.ephemeralContainers ?? []
    const after = ((next.spec ?? {}) as { ephemeralContainers?: Container[] }).ephemeralContainers ?? []
    const invalid = (message: string): never => {
      throw new ApiError(failure(422, `Pod "${prev.metadata.name}" is invalid: spec.ephemeralContainers: ${message}`, 'Invalid'))
    }
    if (after.length < before.length || before.some((c, i) => JSON.stringify(c) !== JSON.stringify(after[i]))) invalid('Forbidden: existing ephemeral containers may not be changed')
    const names = [...(prevSpec.containers ?? []), ...(prevSpec.initContainers ?? []), ...after].map((c) => String(c.name))
    if (new Set(names).size !== names.length) invalid('Duplicate value: container names must be unique')
    for (const c of after.slice(before.length)) if (!c.name || !c.image) invalid('Required value: name and image')
    const status = { ...((prev.status ?? {}) as Record<string, unknown>) }
    const statuses = [...((status.ephemeralContainerStatuses as object[] | undefined) ?? [])]
    for (const c of after.slice(before.length)) {
      const container = { name: String(c.name), image: String(c.image) }
      const state = this.ephemeralStarter?.({ namespace: prev.metadata.namespace ?? '', name: prev.metadata.name }, container) ?? running()
      statuses.push(containerStatus(container, state))
    }
    status.ephemeralContainerStatuses = statuses
    return { ...prev, spec: { ...(prev.spec as object), ephemeralContainers: after }, status }
  }

  private filter(r: ResourceDef, namespace: string | undefined, q: URLSearchParams): WatchFilter {
    return { res: r, namespace, label: parseLabelSelector(q.get('labelSelector')), field: parseFieldSelector(q.get('fieldSelector'), r.kind) }
  }

  private list(r: ResourceDef, q: URLSearchParams, filter: WatchFilter): object {
    let items = this.store.list(filter)
    const metadata: Record<string, unknown> = { resourceVersion: String(this.store.rv) }
    const cont = q.get('continue')
    let offset = 0
    if (cont) {
      try {
        offset = Number(JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')).offset) || 0
      } catch {
        throw new ApiError(badRequest('continue key is not valid'))
      }
    }
    const limit = Number(q.get('limit') ?? 0)
    items = items.slice(offset)
    if (limit > 0 && items.length > limit) {
      metadata.continue = Buffer.from(JSON.stringify({ offset: offset + limit })).toString('base64url')
      metadata.remainingItemCount = items.length - limit
      items = items.slice(0, limit)
    }
    const out = r.typedList
      ? items.map((o) => {
          const { apiVersion: _a, kind: _k, ...restOfItem } = o
          return restOfItem
        })
      : items
    return { kind: `${r.kind}List`, apiVersion: apiVersionOf(r), metadata, items: out }
  }

  private watch(res: ServerResponse, q: URLSearchParams, filter: WatchFilter): void {
    const lines: string[] = []
    let ready = false
    const write = (ev: object): void => {
      const line = JSON.stringify(ev) + '\n'
      if (ready) res.write(line)
      else lines.push(line)
    }
    const stop = this.store.watch(filter, q.get('resourceVersion'), (ev) => write(ev))
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' })
    res.flushHeaders()
    ready = true
    for (const line of lines) res.write(line)
    this.watches.add(res)
    const timeout = Number(q.get('timeoutSeconds') ?? 0)
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined
    const cleanup = (): void => {
      stop()
      clearTimeout(timer)
      this.watches.delete(res)
    }
    // 'close' fires when the client goes away (or the response ended): stop delivering events.
    res.on('close', cleanup)
  }
}

/** Start a fake API server on 127.0.0.1 with a random port. */
export async function startFakeKube(opts: FakeKubeOptions = {}): Promise<FakeKube> {
  const server = new FakeKubeServer(opts)
  await server.listen()
  return server
}
