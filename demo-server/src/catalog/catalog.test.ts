import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT } from '../manifests.ts'
import { Catalog, defaultActions, paramNames } from './index.ts'
import type { Action } from './types.ts'
import { curlService } from '../../../test/support/demoServer.ts'

function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-'))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return dir
}

const table: Action = { id: 'nodes', title: 'n', kind: 'table', resource: 'nodes', namespaces: [], timeoutMs: 1000 }

test('the shipped catalog is valid', () => {
  const catalog = new Catalog(defaultActions(), REPO_ROOT)
  for (const id of ['nodes-wide', 'probe-ratings-productpage', 'probe-host1-productpage', 'policy-default-deny-apply', 'reach-matrix']) assert.ok(catalog.get(id), id)
})

test('duplicate ids, bad ids, bad timeouts and exec outside its namespaces are all reported at once', () => {
  const actions: Action[] = [
    table,
    { ...table },
    { ...table, id: 'Bad Id' },
    { ...table, id: 'slow', timeoutMs: 0 },
    { id: 'x', title: 'x', kind: 'exec', namespace: 'kube-system', target: { pod: 'a' }, command: ['true'], namespaces: ['dev1'], timeoutMs: 1000 },
    { ...table, id: 'bad-selector', selector: 'app in (x' },
  ]
  assert.throws(() => new Catalog(actions, REPO_ROOT), (error: Error) => {
    assert.match(error.message, /nodes: duplicate id/)
    assert.match(error.message, /Bad Id: id must be/)
    assert.match(error.message, /slow: timeoutMs/)
    assert.match(error.message, /x: execs in kube-system/)
    assert.match(error.message, /bad-selector: unable to parse requirement/)
    return true
  })
})

test('apply actions: missing files and objects outside the allowed namespaces are refused at load', () => {
  const dir = scratch({
    'manifests/ok.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: dev1}\n',
    'manifests/other-ns.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: kube-system}\n',
    'manifests/global.yaml': 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec: {}\n',
    'manifests/no-ns.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n',
    'manifests/dup.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: dev1}\nkind: Secret\n',
  })
  const apply = (id: string, manifests: string[], namespaces = ['dev1']): Action => ({ id, title: id, kind: 'apply', manifests, namespaces, timeoutMs: 1000 })
  assert.doesNotThrow(() => new Catalog([apply('ok', ['manifests/ok.yaml'])], dir))
  assert.throws(() => new Catalog([apply('missing', ['manifests/nope.yaml'])], dir), /manifest manifests\/nope.yaml does not exist/)
  assert.throws(() => new Catalog([apply('other', ['manifests/other-ns.yaml'])], dir), /namespace kube-system, which this action may not change/)
  assert.throws(() => new Catalog([apply('global', ['manifests/global.yaml'])], dir), /cluster-scoped/)
  assert.doesNotThrow(() => new Catalog([apply('global', ['manifests/global.yaml'], ['(cluster)'])], dir))
  assert.throws(() => new Catalog([apply('nons', ['manifests/no-ns.yaml'])], dir), /names no namespace/)
  assert.throws(() => new Catalog([apply('dup', ['manifests/dup.yaml'])], dir), /manifests\/dup.yaml document 0: .*unique/i)
})

test('parameters: validated by the action schema; an action without a schema takes none', () => {
  const withParams = curlService
  const catalog = new Catalog([table, withParams], REPO_ROOT)
  assert.deepEqual(catalog.parseParams(withParams, { service: 'details' }), { ok: true, params: { service: 'details' } })
  const bad = catalog.parseParams(withParams, { service: 'kube-apiserver' })
  assert.equal(bad.ok, false)
  assert.equal(catalog.parseParams(withParams, { service: 'details', extra: 1 }).ok, false)
  assert.equal(catalog.parseParams(table, {}).ok, true)
  assert.equal(catalog.parseParams(table, { any: 'thing' }).ok, false)
  assert.deepEqual(paramNames(withParams), ['service'])
  assert.deepEqual(paramNames(table), [])
})

test('host actions: only allow-listed programs', () => {
  const host: Action = { id: 'h', title: 'h', kind: 'host', argv: { kind: ['docker', 'exec', 'host1', 'ip', 'route'], vms: ['multipass', 'exec', 'host1', '--', 'ip', 'route'] }, namespaces: [], timeoutMs: 1000 }
  assert.doesNotThrow(() => new Catalog([host], REPO_ROOT, 'vms'))
  const bad = { ...host, argv: { kind: ['bash', '-c', 'rm -rf /'], vms: host.argv.vms } } as unknown as Action
  assert.throws(() => new Catalog([bad], REPO_ROOT), /bash is not an allowed host program/)
})
