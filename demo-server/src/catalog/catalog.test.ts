import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { Catalog, defaultActions } from './index.ts'
import type { Action, TableAction } from './types.ts'
import { repoRoot } from '../launch.ts'

function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-'))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return dir
}

const table: Action = { id: 'nodes', title: 'n', kind: 'table', resource: 'nodes', namespaces: [], kubectl: 'kubectl get nodes', timeoutMs: 1000 }

test('the shipped catalog is valid', () => {
  const catalog = new Catalog(defaultActions(), repoRoot)
  assert.ok(catalog.get('nodes-wide'))
  assert.ok(catalog.get('probe-ratings-productpage'))
  for (const entry of catalog.describe()) assert.match(entry.kubectl, entry.kind === 'host' ? /^(docker|multipass) / : entry.kind === 'preflight' ? /^npm run demo:check$/ : /^kubectl /)
  assert.ok(catalog.get('probe-host1-productpage'), 'host actions are in the catalog')
  assert.ok(catalog.get('policy-default-deny-apply'))
})

test('duplicate ids, bad ids, bad timeouts and exec outside its namespaces are all reported at once', () => {
  const actions: Action[] = [
    table,
    { ...table },
    { ...table, id: 'Bad Id' },
    { ...table, id: 'slow', timeoutMs: 0 },
    { id: 'x', title: 'x', kind: 'exec', namespace: 'kube-system', selector: 'a=b', command: ['true'], namespaces: ['dev1'], kubectl: 'kubectl exec', timeoutMs: 1000 },
  ]
  assert.throws(() => new Catalog(actions, repoRoot), (error: Error) => {
    assert.match(error.message, /nodes: duplicate id/)
    assert.match(error.message, /Bad Id: id must be/)
    assert.match(error.message, /slow: timeoutMs/)
    assert.match(error.message, /x: execs in kube-system/)
    return true
  })
})

test('apply actions: missing files and objects outside the allowed namespaces are refused at load', () => {
  const dir = scratch({
    'manifests/ok.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: dev1}\n',
    'manifests/other-ns.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: kube-system}\n',
    'manifests/global.yaml': 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec: {}\n',
    'manifests/no-ns.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n',
  })
  const apply = (id: string, manifests: string[], namespaces = ['dev1']): Action => ({ id, title: id, kind: 'apply', manifests, namespaces, kubectl: 'kubectl apply', timeoutMs: 1000 })
  assert.doesNotThrow(() => new Catalog([apply('ok', ['manifests/ok.yaml'])], dir))
  assert.throws(() => new Catalog([apply('missing', ['manifests/nope.yaml'])], dir), /manifest manifests\/nope.yaml does not exist/)
  assert.throws(() => new Catalog([apply('other', ['manifests/other-ns.yaml'])], dir), /namespace kube-system, which this action may not change/)
  assert.throws(() => new Catalog([apply('global', ['manifests/global.yaml'])], dir), /cluster-scoped/)
  assert.doesNotThrow(() => new Catalog([apply('global', ['manifests/global.yaml'], ['(cluster)'])], dir))
  assert.throws(() => new Catalog([apply('nons', ['manifests/no-ns.yaml'])], dir), /names no namespace/)
})

test('parameters: validated by the action schema; an action without a schema takes none', () => {
  const withParams: TableAction<{ service: string }> = {
    ...table,
    id: 'p',
    params: z.strictObject({ service: z.enum(['details', 'reviews']) }),
    kubectl: (p) => `kubectl get svc ${String(p.service)}`,
  }
  const catalog = new Catalog([table, withParams], repoRoot)
  assert.deepEqual(catalog.parseParams(withParams, { service: 'details' }), { ok: true, params: { service: 'details' } })
  const bad = catalog.parseParams(withParams, { service: 'kube-apiserver' })
  assert.equal(bad.ok, false)
  assert.equal(catalog.parseParams(withParams, { service: 'details', extra: 1 }).ok, false)
  assert.equal(catalog.parseParams(table, {}).ok, true)
  assert.equal(catalog.parseParams(table, { any: 'thing' }).ok, false)
  assert.equal(catalog.describe().find((d) => d.id === 'p')?.kubectl, 'kubectl get svc <service>')
})

test('custom columns: the kubectl line must carry the printed columns', () => {
  const columns = [{ header: 'CIDR', path: '.spec.cidr' }]
  const good: Action = { ...table, id: 'blocks', resource: 'ipamblocks', columns, kubectl: 'kubectl get ipamblocks.crd.projectcalico.org -o custom-columns=CIDR:.spec.cidr' }
  assert.doesNotThrow(() => new Catalog([good], repoRoot))
  assert.throws(() => new Catalog([{ ...good, kubectl: 'kubectl get ipamblocks.crd.projectcalico.org' }], repoRoot), /must carry -o custom-columns=CIDR:.spec.cidr/)
})

test('host actions: only allow-listed programs, and the slide line is the command itself', () => {
  const host: Action = { id: 'h', title: 'h', kind: 'host', argv: { kind: ['docker', 'exec', 'host1', 'ip', 'route'], vms: ['multipass', 'exec', 'host1', '--', 'ip', 'route'] }, namespaces: [], timeoutMs: 1000 }
  assert.equal(new Catalog([host], repoRoot, 'vms').describe()[0]?.kubectl, 'multipass exec host1 -- ip route')
  const bad = { ...host, argv: { kind: ['bash', '-c', 'rm -rf /'], vms: host.argv.vms } } as unknown as Action
  assert.throws(() => new Catalog([bad], repoRoot), /bash is not an allowed host program/)
})
