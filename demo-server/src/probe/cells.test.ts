// The matrix lines: what the runner writes, what <ProbeMatrix> reads — including a line split across chunks.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compareCell, MatrixParser, parseMatrixText } from './cells.ts'
import type { ObservedLine } from './cells.ts'

const observed = (result: ObservedLine['result'], evidence: ObservedLine['evidence'] = 'connected'): ObservedLine => ({
  kind: 'observed', from: 'a', to: 'b', port: 9080, protocol: 'TCP', result, evidence, detail: '', raw: '', command: '', ms: 3,
})

test('compareCell: match, mismatch, error, pending, not probed, no expectation', () => {
  assert.equal(compareCell('allowed', observed('allowed')), 'match')
  assert.equal(compareCell('allowed', observed('allowed', 'refused')), 'match')
  assert.equal(compareCell('denied', observed('allowed')), 'mismatch')
  assert.equal(compareCell('allowed', observed('denied', 'timeout')), 'mismatch')
  assert.equal(compareCell('denied', observed('error', 'exec-failed')), 'error')
  assert.equal(compareCell('denied', undefined), 'pending')
  assert.equal(compareCell('denied', undefined, false), 'not-probed')
  assert.equal(compareCell('mixed', observed('denied')), 'no-expectation')
})

test('the parser takes lines split across chunks, ignores what is not a matrix line, and keeps the last summary', () => {
  const line = JSON.stringify(observed('denied', 'timeout'))
  const p = new MatrixParser()
  p.feed(line.slice(0, 17))
  assert.equal(p.observed.size, 0)
  p.feed(`${line.slice(17)}\nnot json\n{"kind":"observed","from":"BAD"}\n`)
  p.feed('{"kind":"summary","probes":1,"allowed":0,"denied":1,"errors":0,"mismatches":0,"concurrency":4,"ms":12}')
  assert.equal(p.summary === undefined, true, 'no newline yet')
  p.end()
  assert.equal(p.observed.get('a|b')?.result, 'denied')
  assert.equal(p.rejected, 2)
  assert.equal(p.summary?.ms, 12)
  assert.equal(parseMatrixText(`${line}\n`).observed.size, 1)
})
