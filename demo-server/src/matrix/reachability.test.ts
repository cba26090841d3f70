// The matrix lines: what the runner writes, what <ProbeMatrix> reads — one cell shape for every opinion, compared in
// one loop — including a line split across chunks.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { calicoDisagreement, cellState, engineDecisionText, MatrixReader, Reachability, readMatrix } from './reachability.ts'
import type { Cell } from './reachability.ts'
import { lineText } from './wire.ts'
import type { CalicoView, EngineSideLine, HeaderLine, HitLine, OpinionLine, Verdict } from './wire.ts'

const header: HeaderLine = {
  kind: 'matrix',
  rows: [{ id: 'a', label: 'a', group: 'alpine', via: 'exec', endpoint: 'dev1/a' }, { id: 'h', label: 'h', group: 'outside', via: 'host', endpoint: '198.19.15.254' }],
  cols: [{ id: 'b', label: 'b:9080', port: 9080, protocol: 'TCP' }],
  unprobed: [{ from: 'h', to: 'b', note: 'not probed: routing' }],
  expected: { source: 'manifests', computedAt: '2026-11-22T00:00:00Z', policies: [], notes: [] },
}

const observed = (verdict: Verdict, evidence = 'connected'): OpinionLine => ({
  kind: 'opinion', by: 'observed', from: 'a', to: 'b', verdict, evidence, reason: '', raw: '', command: '', ms: 3,
})
const expected = (verdict: Verdict): OpinionLine => ({ kind: 'opinion', by: 'expected', from: 'a', to: 'b', verdict, reason: 'engine' })

function stateOf(e: Verdict | undefined, o: OpinionLine | undefined, from = 'a'): ReturnType<typeof cellState> {
  const r = new Reachability(header)
  if (e) r.set({ ...expected(e), from })
  if (o) r.set({ ...o, from })
  return cellState(r.cell(from, 'b') as Cell)
}

test('cell state: match, mismatch, error, pending, not probed, no expectation', () => {
  assert.equal(stateOf('allowed', observed('allowed')), 'match')
  assert.equal(stateOf('allowed', observed('allowed', 'refused')), 'match')
  assert.equal(stateOf('denied', observed('allowed')), 'mismatch')
  assert.equal(stateOf('allowed', observed('denied', 'timeout')), 'mismatch')
  assert.equal(stateOf('denied', observed('error', 'exec-failed')), 'error')
  assert.equal(stateOf('denied', undefined), 'pending')
  assert.equal(stateOf('denied', undefined, 'h'), 'not-probed')
  assert.equal(stateOf('mixed', observed('denied')), 'no-expectation')
})

test('one loop compares every cell; an opinion for a cell the matrix does not have is refused', () => {
  const r = new Reachability(header)
  r.set(expected('denied'))
  r.set(observed('allowed'))
  assert.equal(r.set({ ...observed('allowed'), from: 'nobody' }), false)
  const c = r.compare()
  assert.equal(c.probed, 1)
  assert.equal(c.observed, 1)
  assert.deepEqual(c.mismatches.map((m) => m.key), ['a|b'])
  assert.equal(c.states.get('h|b'), 'not-probed')
})

test('the reader takes lines split across chunks, ignores what is not a matrix line, and keeps the last summary', () => {
  const line = lineText(observed('denied', 'timeout'))
  const p = new MatrixReader()
  p.feed(lineText(header))
  p.feed(line.slice(0, 17))
  assert.equal(p.reachability?.cell('a', 'b')?.opinions.observed, undefined)
  p.feed(`${line.slice(17)}not json\n{"kind":"opinion","from":"BAD"}\n`)
  p.feed('{"kind":"summary","probes":1,"allowed":0,"denied":1,"errors":0,"mismatches":0,"concurrency":4,"ms":12}')
  const summary = () => p.reachability?.summary
  assert.equal(summary(), undefined, 'no newline yet')
  p.end()
  assert.equal(p.reachability?.cell('a', 'b')?.opinions.observed?.verdict, 'denied')
  assert.equal(p.rejected, 2)
  assert.equal(summary()?.ms, 12)
  assert.equal(readMatrix(`${lineText(header)}${line}`).reachability?.compare().observed, 1)
})

test('opinions before any header are refused, not guessed into a matrix', () => {
  const p = readMatrix(lineText(observed('allowed')))
  assert.equal(p.reachability, undefined)
  assert.equal(p.rejected, 1)
})

// ---- Calico's opinion (its flow logs) ------------------------------------------------------------------------

const side = (allowed: boolean, over: Partial<EngineSideLine> = {}): EngineSideLine => (allowed
  ? { allowed, decidedBy: 'rule', tier: 'default', policy: 'dev1/b', rule: 'ingress[0]', ...over }
  : { allowed, decidedBy: 'end-of-tier', tier: 'default', ...over })
const engineAllows: OpinionLine = { ...expected('allowed'), engine: { decidedBy: 'both', egress: side(true, { decidedBy: 'profile', tier: undefined, policy: undefined, rule: undefined }), ingress: side(true) } }
const hitOf = (name: string, rule: number, action: 'Allow' | 'Deny' = 'Allow'): HitLine => ({ kind: 'CalicoNetworkPolicy', tier: 'default', name, namespace: 'dev1', action, policyIndex: 0, ruleIndex: rule, text: `tier default › dev1/${name} › ${action} (rule ${rule})` })
const calico = (verdict: Verdict, view: Partial<CalicoView> = {}, evidence = verdict === 'allowed' || verdict === 'denied' ? verdict : 'no-record'): OpinionLine => ({
  kind: 'opinion', by: 'calico', from: 'a', to: 'b', verdict, evidence, reason: 'flow logs',
  calico: { state: evidence as CalicoView['state'], records: [], ...view },
})

function withCalico(e: OpinionLine, c: OpinionLine | undefined, o: OpinionLine | null = observed('allowed')): Cell {
  const r = new Reachability(header)
  r.set(e)
  if (o) r.set(o)
  if (c) r.set(c)
  return r.cell('a', 'b') as Cell
}

test('Calico\'s opinion: compared like a probe\'s — by verdict, then by the deciding policy on each side it reported', () => {
  const same = calico('allowed', { decidedBy: 'destination', enforced: hitOf('b', 0), destination: { reporter: 'Dst', action: 'Allow', enforced: hitOf('b', 0) } })
  assert.equal(cellState(withCalico(engineAllows, same)), 'match')
  assert.equal(calicoDisagreement(withCalico(engineAllows, same)), undefined)

  const otherRule = calico('allowed', { decidedBy: 'destination', destination: { reporter: 'Dst', action: 'Allow', enforced: hitOf('b', 1) } })
  assert.equal(cellState(withCalico(engineAllows, otherRule)), 'mismatch')
  assert.equal(calicoDisagreement(withCalico(engineAllows, otherRule)), 'ingress: Calico: tier default › dev1/b › Allow (rule 1); engine: tier default › dev1/b ingress[0]')

  const denied = calico('denied', { decidedBy: 'destination' })
  assert.equal(cellState(withCalico(engineAllows, denied)), 'mismatch', 'another verdict')
  assert.equal(calicoDisagreement(withCalico(engineAllows, denied)), 'the engine expects allowed, Calico\'s flow logs say denied')

  // no record, waiting, unavailable: nothing to compare, never pending on it; a run without Calico's opinion is whole
  assert.equal(cellState(withCalico(engineAllows, calico('unknown'))), 'match')
  assert.equal(cellState(withCalico(engineAllows, calico('unknown', {}, 'unavailable'))), 'match')
  assert.equal(cellState(withCalico(engineAllows, undefined)), 'match')
  assert.equal(cellState(withCalico(engineAllows, same, null)), 'pending', 'the probe is still awaited')
})

test('Calico\'s opinion: the pending verdict of staged policies is compared with the engine\'s pending one', () => {
  const engine: OpinionLine = { ...engineAllows, engine: { ...engineAllows.engine!, pending: { verdict: 'denied', decidedBy: 'destination', egress: side(true, { decidedBy: 'profile', tier: undefined, policy: undefined, rule: undefined }), ingress: side(false), reason: 'staged' } } }
  const endOfTier: HitLine = { kind: 'EndOfTier', tier: 'default', name: '', namespace: '', action: 'Deny', policyIndex: 1, ruleIndex: -1, trigger: { kind: 'StagedNetworkPolicy', name: 'default-deny', namespace: 'dev1' }, text: 'tier default › end of tier (selected by staged dev1/default-deny) › Deny' }
  const agree = calico('allowed', { decidedBy: 'destination', pending: { verdict: 'denied', decidedBy: 'destination', hit: endOfTier } })
  assert.equal(cellState(withCalico(engine, agree)), 'match')
  const disagree = calico('allowed', { decidedBy: 'destination', pending: { verdict: 'allowed', decidedBy: 'destination', hit: hitOf('b', 0) } })
  assert.equal(cellState(withCalico(engine, disagree)), 'mismatch')
  assert.match(calicoDisagreement(withCalico(engine, disagree)) ?? '', /^with staged policies the engine expects denied, Calico's pending trace says allowed$/)
})

test('the engine\'s decision in Calico\'s words', () => {
  assert.equal(engineDecisionText(engineAllows.engine!), 'egress: no policy, the namespace profile › Allow; ingress: tier default › dev1/b ingress[0] › Allow')
  assert.equal(engineDecisionText({ decidedBy: 'source', egress: side(false), ingress: side(true) }), 'egress: tier default › end of tier › Deny')
})

test('settling: a settling line marks its cells until their next observation, the summary clears what is left', () => {
  const p = new MatrixReader()
  p.feed(lineText(header) + lineText(expected('denied')) + lineText(observed('allowed')))
  assert.equal(p.reachability?.compare().states.get('a|b'), 'mismatch')
  p.feed(lineText({ kind: 'settling', round: 1, waitMs: 1000, cells: [{ from: 'a', to: 'b' }] }))
  assert.equal(p.reachability?.compare().states.get('a|b'), 'settling')
  assert.equal(p.reachability?.compare().mismatches.length, 0, 'not a mismatch while it settles')
  assert.equal(p.reachability?.settlingRound?.waitMs, 1000)
  p.feed(lineText(observed('denied', 'dropped')))
  assert.equal(p.reachability?.compare().states.get('a|b'), 'match', 'the next probe decides')
  p.feed(lineText({ kind: 'settling', round: 2, waitMs: 2000, cells: [{ from: 'a', to: 'b' }] }))
  p.feed(lineText({ kind: 'summary', probes: 1, allowed: 0, denied: 1, errors: 0, mismatches: 0, concurrency: 4, ms: 12, settling: { cells: 1, agreed: 1, rounds: 2, ms: 3000 } }))
  assert.equal(p.reachability?.settling.size, 0, 'a run that ended settles nothing more')
  assert.equal(p.reachability?.summary?.settling?.rounds, 2)
  // a settling line naming a cell of no matrix is refused
  p.feed(lineText({ kind: 'settling', round: 3, waitMs: 2000, cells: [{ from: 'nobody', to: 'b' }] }))
  assert.equal(p.rejected, 1)
})
