// The fake API server, driven through @kubernetes/client-node (never raw HTTP), so the protocols are checked
// against the same client the demo server uses.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Readable, Writable } from 'node:stream'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  ApiException,
  ApisApi,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  Exec,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  VersionApi,
  Watch,
  makeInformer,
} from '@kubernetes/client-node'
import type { KubernetesObject, V1Pod, V1Status } from '@kubernetes/client-node'
import { startFakeKube } from './server.ts'
import type { FakeKube, FakeKubeOptions } from './server.ts'
import { imagePullWaiting } from './kubelet.ts'

async function fake(t: { after: (fn: () => Promise<void>) => void }, opts?: FakeKubeOptions): Promise<FakeKube> {
  const kube = await startFakeKube(opts)
  t.after(() => kube.close())
  return kube
}

/** Poll until cond() holds (no fixed sleeps); fails after timeoutMs. */
async function waitFor(cond: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

function pod(name: string, namespace: string, labels: Record<string, string>, phase: string): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: 'main', image: 'busybox' }] },
    status: { phase },
  }
}

/** ApiException.body is the raw response text for typed APIs; parse the v1 Status out of it. */
function statusOf(err: unknown): V1Status {
  assert.ok(err instanceof ApiException, `expected ApiException, got ${String(err)}`)
  return (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as V1Status
}

function errorCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string') return e.code
  }
  return undefined
}

type ExecEvent = { kind: 'stdout' | 'stderr'; text: string } | { kind: 'status'; status: V1Status }

function sink(events: ExecEvent[], kind: 'stdout' | 'stderr'): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      events.push({ kind, text: chunk.toString('utf8') })
      cb()
    },
  })
}

async function startExec(kc: KubeConfig, podName: string, command: string[], container: string | null = 'main') {
  const events: ExecEvent[] = []
  const ws = await new Exec(kc).exec(
    'default',
    podName,
    container as string,
    command,
    sink(events, 'stdout'),
    sink(events, 'stderr'),
    null,
    false,
    (status) => events.push({ kind: 'status', status }),
  )
  let closeCode: number | undefined
  const closed = new Promise<number>((resolve) => {
    ws.on('close', (code: number) => {
      closeCode = code
      resolve(code)
    })
  })
  return { ws, events, closed, closeCode: () => closeCode }
}

const RUNNING_POD = pod('shell', 'default', { app: 'shell' }, 'Running')

test('version and discovery through VersionApi / ApisApi / CoreV1Api', async (t) => {
  const kube = await fake(t, { version: 'v1.33.2' })
  const kc = kube.kubeConfig()
  const version = await kc.makeApiClient(VersionApi).getCode()
  assert.equal(version.gitVersion, 'v1.33.2')
  assert.equal(version.major, '1')
  assert.equal(version.minor, '33')

  const groups = await kc.makeApiClient(ApisApi).getAPIVersions()
  const names = groups.groups.map((g) => g.name)
  for (const g of ['apps', 'networking.k8s.io', 'projectcalico.org', 'crd.projectcalico.org', 'operator.tigera.io']) {
    assert.ok(names.includes(g), `group ${g} discovered`)
  }
  const core = await kc.makeApiClient(CoreV1Api).getAPIResources()
  const exec = core.resources.find((r) => r.name === 'pods/exec')
  assert.equal(exec?.kind, 'PodExecOptions')
  assert.equal(core.resources.find((r) => r.name === 'nodes')?.namespaced, false)
})

test('list pods with label and field selectors; 404 Status for a missing pod', async (t) => {
  const kube = await fake(t, {
    objects: [
      pod('web-1', 'default', { app: 'web' }, 'Running'),
      pod('web-2', 'default', { app: 'web', tier: 'frontend' }, 'Pending'),
      pod('db-1', 'default', { app: 'db' }, 'Running'),
      pod('web-3', 'demo', { app: 'web' }, 'Running'),
    ],
  })
  const core = kube.kubeConfig().makeApiClient(CoreV1Api)

  const web = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web,tier!=frontend' })
  assert.deepEqual(
    web.items.map((p) => p.metadata?.name),
    ['web-1'],
  )
  const everywhere = await core.listPodForAllNamespaces({ labelSelector: 'app in (web)' })
  assert.deepEqual(
    everywhere.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`),
    ['default/web-1', 'default/web-2', 'demo/web-3'],
  )
  const running = await core.listNamespacedPod({ namespace: 'default', fieldSelector: 'status.phase=Running' })
  assert.deepEqual(
    running.items.map((p) => p.metadata?.name),
    ['db-1', 'web-1'],
  )
  const byName = await core.listNamespacedPod({ namespace: 'default', fieldSelector: 'metadata.name=db-1' })
  assert.equal(byName.items.length, 1)
  assert.ok(Number(web.metadata?.resourceVersion) > 0)

  const err = await core.readNamespacedPod({ name: 'nope', namespace: 'default' }).then(
    () => assert.fail('expected 404'),
    (e: unknown) => e,
  )
  assert.equal((err as ApiException<unknown>).code, 404)
  const status = statusOf(err)
  assert.equal(status.kind, 'Status')
  assert.equal(status.reason, 'NotFound')
  assert.equal(status.message, 'pods "nope" not found')
})

test('server-side apply of a Deployment and a Calico NetworkPolicy, read back, dry run, delete', async (t) => {
  const kube = await fake(t)
  const client = KubernetesObjectApi.makeApiClient(kube.kubeConfig())
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } },
    },
  }
  const created: KubernetesObject = await client.patch(deployment, undefined, undefined, 'calico-talk', true, PatchStrategy.ServerSideApply)
  const rv1 = Number(created.metadata?.resourceVersion)
  const read1 = (await client.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' } })) as KubernetesObject & {
    spec: { replicas: number }
  }
  assert.equal(read1.spec.replicas, 2)
  assert.equal(read1.metadata?.generation, 1)
  const entry = read1.metadata?.managedFields?.find((m) => m.manager === 'calico-talk')
  assert.equal(entry?.operation, 'Apply')

  const updated = (await client.patch(
    { ...deployment, spec: { ...deployment.spec, replicas: 3 } },
    undefined,
    undefined,
    'calico-talk',
    true,
    PatchStrategy.ServerSideApply,
  )) as KubernetesObject & { spec: { replicas: number } }
  assert.equal(updated.spec.replicas, 3)
  assert.ok(Number(updated.metadata?.resourceVersion) > rv1)
  assert.equal(updated.metadata?.generation, 2)

  const dry = (await client.patch(
    { ...deployment, spec: { ...deployment.spec, replicas: 9 } },
    undefined,
    'All',
    'calico-talk',
    true,
    PatchStrategy.ServerSideApply,
  )) as KubernetesObject & { spec: { replicas: number } }
  assert.equal(dry.spec.replicas, 9)
  const read2 = (await client.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' } })) as KubernetesObject & {
    spec: { replicas: number }
  }
  assert.equal(read2.spec.replicas, 3, 'dryRun=All is not stored')

  const policy = {
    apiVersion: 'projectcalico.org/v3',
    kind: 'NetworkPolicy',
    metadata: { name: 'default.deny-all', namespace: 'default' },
    spec: { tier: 'default', selector: 'all()', types: ['Ingress', 'Egress'] },
  }
  await client.patch(policy, undefined, undefined, 'calico-talk', true, PatchStrategy.ServerSideApply)
  const policies = await client.list('projectcalico.org/v3', 'NetworkPolicy', 'default')
  assert.deepEqual(
    policies.items.map((p) => p.metadata?.name),
    ['default.deny-all'],
  )
  assert.equal(policies.items[0]?.kind, 'NetworkPolicy')
  const readPolicy = (await client.read({ apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: policy.metadata })) as KubernetesObject & {
    spec: { selector: string }
  }
  assert.equal(readPolicy.spec.selector, 'all()')

  const deleted = (await client.delete(deployment)) as V1Status
  assert.equal(deleted.status, 'Success')
  const err = await client.read(deployment).then(
    () => assert.fail('expected 404'),
    (e: unknown) => e,
  )
  assert.equal(statusOf(err).message, 'deployments.apps "web" not found')
  assert.equal(
    kube.objects().some((o) => (o as KubernetesObject).kind === 'Deployment'),
    false,
  )
})

test('watch streams ADDED (existing and new), MODIFIED and DELETED; aborting ends it', async (t) => {
  const kube = await fake(t, { objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'existing', namespace: 'default' } }] })
  const kc = kube.kubeConfig()
  const core = kc.makeApiClient(CoreV1Api)
  const seen: string[] = []
  let doneErr: unknown = 'not called'
  const controller = await new Watch(kc).watch(
    '/api/v1/namespaces/default/configmaps',
    {},
    (type, obj: KubernetesObject) => seen.push(`${type} ${obj.metadata?.name}`),
    (err) => (doneErr = err),
  )
  await waitFor(() => seen.length === 1, 'initial ADDED')
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cm' }, data: { a: '1' } } })
  // CoreV1Api.patch* sends Content-Type application/json-patch+json by default: the body is a JSON patch.
  await core.patchNamespacedConfigMap({ namespace: 'default', name: 'cm', body: [{ op: 'replace', path: '/data/a', value: '2' }] })
  await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'cm' })
  await waitFor(() => seen.length === 4, 'four events')
  assert.deepEqual(seen, ['ADDED existing', 'ADDED cm', 'MODIFIED cm', 'DELETED cm'])
  controller.abort()
  await waitFor(() => doneErr !== 'not called', 'done callback')
})

test('informer (list + watch from resourceVersion) sees add, update and delete', async (t) => {
  const kube = await fake(t)
  const kc = kube.kubeConfig()
  const core = kc.makeApiClient(CoreV1Api)
  const informer = makeInformer(kc, '/api/v1/namespaces/default/pods', () => core.listNamespacedPod({ namespace: 'default' }))
  const seen: string[] = []
  informer.on('add', (p) => seen.push(`add ${p.metadata?.name}`))
  informer.on('update', (p) => seen.push(`update ${p.metadata?.name} ${p.status?.phase}`))
  informer.on('delete', (p) => seen.push(`delete ${p.metadata?.name}`))
  await informer.start()
  kube.upsert(pod('p1', 'default', {}, 'Pending'))
  await waitFor(() => seen.length === 1, 'add')
  kube.upsert(pod('p1', 'default', {}, 'Running'))
  await waitFor(() => seen.length === 2, 'update')
  kube.remove('v1', 'Pod', 'default', 'p1')
  await waitFor(() => seen.length === 3, 'delete')
  assert.deepEqual(seen, ['add p1', 'update p1 Running', 'delete p1'])
  await informer.stop()
})

test('REST extras: create/409, merge patch, 415 for strategic merge on a CRD, paging, namespace checks and cascade', async (t) => {
  const kube = await fake(t, { objects: [pod('a', 'demo', {}, 'Running'), pod('b', 'demo', {}, 'Running'), pod('c', 'demo', {}, 'Running')] })
  const kc = kube.kubeConfig()
  const client = KubernetesObjectApi.makeApiClient(kc)
  const core = kc.makeApiClient(CoreV1Api)

  const gnp = { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'allow-dns' }, spec: { selector: 'all()', order: 100 } }
  const created: KubernetesObject = await client.create(gnp)
  assert.ok(created.metadata?.uid)
  const conflict = await client.create(gnp).then(
    () => assert.fail('expected 409'),
    (e: unknown) => e,
  )
  assert.equal(statusOf(conflict).reason, 'AlreadyExists')
  const patched = (await client.patch(
    { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'allow-dns' }, spec: { order: 50 } },
    undefined,
    undefined,
    undefined,
    undefined,
    PatchStrategy.MergePatch,
  )) as KubernetesObject & { spec: { selector: string; order: number } }
  assert.deepEqual(patched.spec, { selector: 'all()', order: 50 })

  kube.upsert({ apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'pool' }, spec: { cidr: '10.0.0.0/16' } })
  const smp = await client.patch({ apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'pool' }, spec: { disabled: true } }).then(
    () => assert.fail('expected 415'),
    (e: unknown) => e,
  )
  assert.equal((smp as ApiException<unknown>).code, 415)

  const page1 = await core.listNamespacedPod({ namespace: 'demo', limit: 2 })
  assert.equal(page1.items.length, 2)
  assert.ok(page1.metadata?._continue)
  const page2 = await core.listNamespacedPod({ namespace: 'demo', limit: 2, _continue: page1.metadata?._continue })
  assert.deepEqual(
    page2.items.map((p) => p.metadata?.name),
    ['c'],
  )

  const missingNs = await core.createNamespacedConfigMap({ namespace: 'nowhere', body: { metadata: { name: 'x' } } }).then(
    () => assert.fail('expected 404'),
    (e: unknown) => e,
  )
  assert.equal(statusOf(missingNs).message, 'namespaces "nowhere" not found')

  const deletedPod = await core.deleteNamespacedPod({ namespace: 'demo', name: 'a' })
  assert.equal(deletedPod.kind, 'Pod', 'pod deletion answers with the object')
  await core.deleteNamespace({ name: 'demo' })
  assert.equal((await core.listPodForAllNamespaces()).items.length, 0, 'namespace deletion removes its contents')
})

test('exec: stdout, then stderr, then exit code 3 on the status channel, in order', async (t) => {
  const kube = await fake(t, { objects: [RUNNING_POD] })
  kube.onExec((req) => {
    assert.deepEqual(req.command, ['sh', '-c', 'echo hi; echo oops >&2; exit 3'])
    return { steps: [{ stdout: 'hi\n' }, { delayMs: 5 }, { stderr: 'oops\n' }], exitCode: 3 }
  })
  const run = await startExec(kube.kubeConfig(), 'shell', ['sh', '-c', 'echo hi; echo oops >&2; exit 3'])
  await run.closed
  assert.deepEqual(run.events.slice(0, 2), [
    { kind: 'stdout', text: 'hi\n' },
    { kind: 'stderr', text: 'oops\n' },
  ])
  const last = run.events[2]
  assert.equal(last?.kind, 'status')
  const status = last.kind === 'status' ? last.status : undefined
  assert.equal(status?.status, 'Failure')
  assert.equal(status?.reason, 'NonZeroExitCode')
  assert.deepEqual(status?.details?.causes, [{ reason: 'ExitCode', message: '3' }])
  assert.equal(run.events.length, 3)

  const req = kube.execRequests[0]
  assert.equal(req?.protocol, 'v5.channel.k8s.io')
  assert.equal(req?.container, 'main')
  assert.equal(req?.namespace, 'default')
  assert.equal(req?.pod, 'shell')
  await waitFor(() => kube.openExecStreams === 0, 'stream closed')
})

test('exec: exit 0 reports Success', async (t) => {
  const kube = await fake(t, { objects: [RUNNING_POD] })
  const run = await startExec(kube.kubeConfig(), 'shell', ['true'], null)
  await run.closed
  assert.deepEqual(run.events, [{ kind: 'status', status: { metadata: {}, status: 'Success' } }])
  assert.equal(kube.execRequests[0]?.container, null)
})

test('exec: stdin arrives on channel 0 and the v5 close signal is recorded', async (t) => {
  const kube = await fake(t, { objects: [RUNNING_POD] })
  kube.onExec(() => ({ hang: true }))
  const ws = await new Exec(kube.kubeConfig()).exec('default', 'shell', 'main', ['cat'], null, null, Readable.from(['hello ', 'world']), false)
  await waitFor(() => kube.execRequests[0]?.stdinClosed === true, 'stdin close signal')
  assert.equal(kube.execRequests[0]?.stdinData, 'hello world')
  assert.equal(kube.execRequests[0]?.stdout, false)
  ws.close()
  await waitFor(() => kube.openExecStreams === 0, 'closed')
})

test('exec: hang keeps the stream open until the client closes it', async (t) => {
  const kube = await fake(t, { objects: [RUNNING_POD] })
  kube.onExec(() => ({ steps: [{ stdout: 'tick\n' }], hang: true }))
  const run = await startExec(kube.kubeConfig(), 'shell', ['sleep', 'infinity'])
  await waitFor(() => run.events.length === 1, 'first output')
  assert.equal(kube.openExecStreams, 1)
  run.ws.close()
  await run.closed
  await waitFor(() => kube.openExecStreams === 0, 'openExecStreams back to 0')
  assert.equal(
    run.events.some((e) => e.kind === 'status'),
    false,
  )
})

test('exec: drop closes the socket without a status', async (t) => {
  const kube = await fake(t, { objects: [RUNNING_POD] })
  kube.onExec(() => ({ steps: [{ stdout: 'partial' }], drop: true }))
  const run = await startExec(kube.kubeConfig(), 'shell', ['cat'])
  const code = await run.closed
  assert.equal(code, 1006, 'abnormal closure')
  assert.deepEqual(run.events, [{ kind: 'stdout', text: 'partial' }])
  await waitFor(() => kube.openExecStreams === 0, 'openExecStreams back to 0')
})

test('exec: refused upgrades (script 403, missing pod 404) reject Exec.exec', async (t) => {
  const kube = await fake(t, { objects: [RUNNING_POD] })
  kube.onExec(() => ({ httpStatus: 403 }))
  const kc = kube.kubeConfig()
  const forbidden = await startExec(kc, 'shell', ['id']).then(
    () => assert.fail('expected rejection'),
    (e: unknown) => e as { message?: string },
  )
  // client-node rejects with the WebSocket ErrorEvent, whose message carries the HTTP status (not the Status body).
  assert.match(String(forbidden.message), /Unexpected server response: 403/)
  const missing = await startExec(kc, 'ghost', ['id']).then(
    () => assert.fail('expected rejection'),
    (e: unknown) => e as { message?: string },
  )
  assert.match(String(missing.message), /Unexpected server response: 404/)
  assert.equal(kube.execRequests.length, 2)
  assert.equal(kube.openExecStreams, 0)
})

test('respond() forces an error on matching REST calls until undone', async (t) => {
  const kube = await fake(t)
  const core = kube.kubeConfig().makeApiClient(CoreV1Api)
  const undo = kube.respond({ method: 'GET', pathPrefix: '/api/v1/namespaces/default/pods' }, 500)
  const err = await core.listNamespacedPod({ namespace: 'default' }).then(
    () => assert.fail('expected 500'),
    (e: unknown) => e,
  )
  assert.equal((err as ApiException<unknown>).code, 500)
  assert.equal(statusOf(err).reason, 'InternalError')
  await core.listNamespace() // other paths are unaffected
  undo()
  assert.equal((await core.listNamespacedPod({ namespace: 'default' })).items.length, 0)
})

test('auth: wrong token gets 401; writeKubeconfig works for a fresh KubeConfig', async (t) => {
  const kube = await fake(t)
  const bad = new KubeConfig()
  bad.loadFromOptions({
    clusters: [{ name: 'c', server: kube.url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'wrong' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  })
  const err = await bad.makeApiClient(CoreV1Api).listNamespace().then(
    () => assert.fail('expected 401'),
    (e: unknown) => e,
  )
  assert.equal((err as ApiException<unknown>).code, 401)

  const dir = mkdtempSync(join(tmpdir(), 'fake-kube-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'kubeconfig')
  kube.writeKubeconfig(file, 'talk')
  const kc = new KubeConfig()
  kc.loadFromFile(file)
  assert.equal(kc.getCurrentContext(), 'talk')
  const namespaces = await kc.makeApiClient(CoreV1Api).listNamespace()
  assert.deepEqual(
    namespaces.items.map((n) => n.metadata?.name),
    ['default', 'kube-node-lease', 'kube-public', 'kube-system'],
  )
})

test('close() ends open exec streams and later calls fail with ECONNREFUSED', async () => {
  const kube = await startFakeKube({ objects: [RUNNING_POD] })
  kube.onExec(() => ({ hang: true }))
  const kc = kube.kubeConfig()
  const core = kc.makeApiClient(CoreV1Api)
  await core.listNamespace()
  const run = await startExec(kc, 'shell', ['sleep', '1000'])
  assert.equal(kube.openExecStreams, 1)
  await kube.close()
  await run.closed
  assert.equal(kube.openExecStreams, 0)
  const err = await core.listNamespace().then(
    () => assert.fail('expected connection failure'),
    (e: unknown) => e,
  )
  assert.equal(errorCode(err), 'ECONNREFUSED')
})

test('pods/ephemeralcontainers: added by JSON patch (what client-node sends), started at once, never changed or removed', async (t) => {
  const kube = await fake(t, { objects: [pod('web', 'dev1', { app: 'web' }, 'Running')] })
  const core = kube.kubeConfig().makeApiClient(CoreV1Api)
  const debug = { name: 'dbg', image: 'busybox:1.36', command: ['sleep', '60'] }
  const patched = await core.patchNamespacedPodEphemeralcontainers({ name: 'web', namespace: 'dev1', body: [{ op: 'add', path: '/spec/ephemeralContainers', value: [debug] }] })
  assert.deepEqual(patched.spec?.ephemeralContainers?.map((c) => c.name), ['dbg'])
  assert.ok(patched.status?.ephemeralContainerStatuses?.[0]?.state?.running, 'the fake kubelet starts it')
  assert.equal(patched.status?.phase, 'Running', 'the rest of the status is kept')
  // a second one is appended; the first may not change; names stay unique
  const more = await core.patchNamespacedPodEphemeralcontainers({ name: 'web', namespace: 'dev1', body: [{ op: 'add', path: '/spec/ephemeralContainers/-', value: { ...debug, name: 'dbg-2' } }] })
  assert.deepEqual(more.spec?.ephemeralContainers?.map((c) => c.name), ['dbg', 'dbg-2'])
  for (const body of [
    [{ op: 'remove', path: '/spec/ephemeralContainers/0' }],
    [{ op: 'add', path: '/spec/ephemeralContainers/-', value: { ...debug } }],
    [{ op: 'add', path: '/spec/ephemeralContainers/-', value: { name: 'main', image: 'busybox' } }],
  ]) {
    await assert.rejects(core.patchNamespacedPodEphemeralcontainers({ name: 'web', namespace: 'dev1', body }), (e: unknown) => e instanceof ApiException && e.code === 422)
  }
  // only spec.ephemeralContainers changes through this subresource
  const sneaky = await core.patchNamespacedPodEphemeralcontainers({ name: 'web', namespace: 'dev1', body: [{ op: 'replace', path: '/metadata/labels/app', value: 'other' }] })
  assert.equal(sneaky.metadata?.labels?.app, 'web')
})

test('pods/ephemeralcontainers: the stand-in kubelet can leave one waiting on its image, shaped as a real ContainerStatus', async (t) => {
  const kube = await fake(t, { objects: [pod('web', 'dev1', { app: 'web' }, 'Running')] })
  const core = kube.kubeConfig().makeApiClient(CoreV1Api)
  kube.onEphemeralContainer((p, c) => (p.name === 'web' && c.name === 'dbg' ? imagePullWaiting('ImagePullBackOff', c.image) : { running: { startedAt: '2026-11-22T00:00:00Z' } }))
  const debug = { name: 'dbg', image: 'docker.io/library/busybox:9.99' }
  const patched = await core.patchNamespacedPodEphemeralcontainers({ name: 'web', namespace: 'dev1', body: [{ op: 'add', path: '/spec/ephemeralContainers', value: [debug] }] })
  const status = patched.status?.ephemeralContainerStatuses?.[0]
  assert.deepEqual({ ...status?.state?.waiting }, { reason: 'ImagePullBackOff', message: 'Back-off pulling image "docker.io/library/busybox:9.99"' })
  assert.deepEqual([status?.name, status?.image, status?.imageID, status?.ready, status?.started, status?.restartCount], ['dbg', 'docker.io/library/busybox:9.99', '', false, false, 0])
  const more = await core.patchNamespacedPodEphemeralcontainers({ name: 'web', namespace: 'dev1', body: [{ op: 'add', path: '/spec/ephemeralContainers/-', value: { ...debug, name: 'dbg-2' } }] })
  const second = more.status?.ephemeralContainerStatuses?.[1]
  assert.ok(second?.state?.running, 'the starter decides per container')
  assert.match(second?.containerID ?? '', /^containerd:\/\/[0-9a-f]{64}$/)
  assert.equal(more.status?.ephemeralContainerStatuses?.[0]?.state?.waiting?.reason, 'ImagePullBackOff', 'earlier statuses are kept')
})

test('Services get what the API server fills in (a ClusterIP from the service range); EndpointSlices and the FelixConfiguration are served', async (t) => {
  const kube = await fake(t, {
    serviceCidr: '198.19.32.0/20',
    objects: [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: '198.19.32.10', selector: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] } },
      {
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'details-abcde', namespace: 'dev1', labels: { 'kubernetes.io/service-name': 'details' } },
        addressType: 'IPv4', endpoints: [{ addresses: ['10.48.0.67'], conditions: { ready: false, serving: false, terminating: false } }], ports: [{ name: 'http', port: 9080, protocol: 'TCP' }],
      },
      { apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name: 'default' }, spec: { iptablesFilterDenyAction: 'Reject' } },
    ],
  })
  const kc = kube.kubeConfig()
  const core = kc.makeApiClient(CoreV1Api)
  const created = await core.createNamespacedService({ namespace: 'dev1', body: { metadata: { name: 'details' }, spec: { selector: { app: 'details' }, ports: [{ name: 'http', port: 9080 }] } } })
  assert.equal(created.spec?.clusterIP, '198.19.32.100')
  assert.deepEqual(created.spec?.clusterIPs, ['198.19.32.100'])
  assert.deepEqual([created.spec?.type, created.spec?.sessionAffinity, created.spec?.ipFamilies, created.spec?.internalTrafficPolicy], ['ClusterIP', 'None', ['IPv4'], 'Cluster'])
  assert.deepEqual({ ...created.spec?.ports?.[0] }, { name: 'http', port: 9080, protocol: 'TCP', targetPort: 9080 })
  const second = await core.createNamespacedService({ namespace: 'dev1', body: { metadata: { name: 'reviews' }, spec: { ports: [{ port: 9080 }] } } })
  assert.equal(second.spec?.clusterIP, '198.19.32.101', 'the next free address')
  assert.equal((await core.readNamespacedService({ namespace: 'kube-system', name: 'kube-dns' })).spec?.clusterIP, '198.19.32.10', 'a set address is kept')
  const slices = await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: 'dev1', labelSelector: 'kubernetes.io/service-name=details' })
  assert.equal(slices.items.length, 1)
  assert.equal(slices.items[0]?.endpoints?.[0]?.conditions?.ready, false)
  const felix = (await kc.makeApiClient(CustomObjectsApi).getClusterCustomObject({ group: 'projectcalico.org', version: 'v3', plural: 'felixconfigurations', name: 'default' })) as { spec?: { iptablesFilterDenyAction?: string } }
  assert.equal(felix.spec?.iptablesFilterDenyAction, 'Reject')
})
