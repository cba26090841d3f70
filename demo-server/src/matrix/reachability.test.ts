// The matrix lines: what the runner writes, what <ProbeMatrix> reads — one cell shape for every opinion, compared in
// one loop — including a line split across chunks.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cellState, MatrixReader, Reachability, readMatrix } from './reachability.ts'
import type { Cell } from './reachability.ts'
import { lineText } from './wire.ts'
import type { HeaderLine, OpinionLine, Verdict } from './wire.ts'

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
