// Label selectors in their text form (`kubectl -l`, the catalog's selectors, the API's labelSelector parameter): one
// parser for the demo server, the matrix and the fake API server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { labelSelectorQuery, matchesLabelSelectorText, parseLabelSelectorText } from './labelSelector.ts'

test('selectors as the catalog writes them', () => {
  assert.ok(matchesLabelSelectorText('app=reviews,version=v2', { app: 'reviews', version: 'v2' }))
  assert.ok(!matchesLabelSelectorText('app=reviews,version=v2', { app: 'reviews', version: 'v1' }))
  assert.ok(matchesLabelSelectorText('app!=y', { app: 'x' }))
  assert.ok(matchesLabelSelectorText('app!=y', {}), 'a missing key satisfies !=')
  assert.ok(matchesLabelSelectorText('k8s-app', { 'k8s-app': 'kube-dns' }))
  assert.ok(matchesLabelSelectorText('', { any: 'thing' }), 'the empty selector selects everything')
})

test('set and existence requirements, as the API server reads them', () => {
  assert.ok(matchesLabelSelectorText('version in (v2, v3),!canary', { version: 'v3' }))
  assert.ok(!matchesLabelSelectorText('version in (v2, v3),!canary', { version: 'v3', canary: 'true' }))
  assert.ok(matchesLabelSelectorText('version notin (v1)', {}))
  assert.ok(matchesLabelSelectorText('app==ratings', { app: 'ratings' }))
})

test('what is not a selector is refused with the API server’s words', () => {
  assert.throws(() => parseLabelSelectorText('app in (x'), /unable to parse requirement/)
  assert.throws(() => parseLabelSelectorText('-bad=x'), /invalid label key "-bad"/)
})

test('a LabelSelector back to the query text the API takes', () => {
  assert.equal(labelSelectorQuery({ matchLabels: { app: 'ratings', version: 'v1' } }), 'app=ratings,version=v1')
  assert.equal(labelSelectorQuery({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['a', 'b'] }, { key: 'x', operator: 'DoesNotExist' }] }), 'tier notin (a,b),!x')
  assert.ok(matchesLabelSelectorText(labelSelectorQuery({ matchLabels: { app: 'ratings' } }), { app: 'ratings', version: 'v1' }))
})
