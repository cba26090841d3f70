// manifests/10-calico-installation.yaml enables Calico's flow logs the way the pinned operator (v1.40.15) expects:
// one Goldmane and one Whisker resource, both named default, Whisker only with Goldmane; the strict schemas refuse
// what the operator would ignore or reject.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { loadDocs, ROOT } from './lib/manifests.ts'
import { calicoSchemaFor, goldmaneSchema, whiskerSchema } from './lib/calico.ts'

const FILE = 'manifests/10-calico-installation.yaml'
const docs = loadDocs(FILE).map((d) => d.obj)
const find = (kind: string) => docs.filter((d) => d.apiVersion === 'operator.tigera.io/v1' && d.kind === kind)

test('flow logs: one Goldmane and one Whisker, named default, valid against the strict schemas', () => {
  const goldmane = find('Goldmane')
  const whisker = find('Whisker')
  assert.equal(goldmane.length, 1, 'one Goldmane resource')
  assert.equal(whisker.length, 1, 'one Whisker resource (the operator degrades Whisker without Goldmane)')
  assert.ok(goldmaneSchema.safeParse(goldmane[0]).success)
  assert.ok(whiskerSchema.safeParse(whisker[0]).success)
  assert.equal(calicoSchemaFor('operator.tigera.io/v1', 'Goldmane'), goldmaneSchema)
  assert.equal(calicoSchemaFor('operator.tigera.io/v1', 'Whisker'), whiskerSchema)
  assert.equal(whisker[0].spec.notifications, 'Disabled', 'the console fetches nothing from the internet')
  const text = readFileSync(ROOT + FILE, 'utf8')
  assert.match(text, /pkg\/render\/whisker\/component\.go/, 'the comment cites the operator source')
  assert.match(text, /kubectl port-forward -n calico-system service\/whisker 8081:8081/)
})

test('flow logs: the schemas refuse a second instance name, unknown fields and misspelt values', () => {
  const goldmane = structuredClone(find('Goldmane')[0])
  const whisker = structuredClone(find('Whisker')[0])
  assert.equal(goldmaneSchema.safeParse({ ...goldmane, metadata: { name: 'flows' } }).success, false, 'only "default" is reconciled')
  assert.equal(goldmaneSchema.safeParse({ ...goldmane, spec: { aggregationWindow: '5s' } }).success, false, 'not an operator field')
  assert.equal(whiskerSchema.safeParse({ ...whisker, spec: { notifications: 'Off' } }).success, false)
  assert.equal(whiskerSchema.safeParse({ ...whisker, spec: { notification: 'Disabled' } }).success, false)
  assert.equal(whiskerSchema.safeParse({ ...whisker, apiVersion: 'operator.tigera.io/v2' }).success, false)
  assert.equal(whiskerSchema.safeParse({ ...whisker, metadata: { name: 'default', namespace: 'calico-system' } }).success, false, 'cluster-scoped')
})
