// The house's shape, read from the import statements: folders depend on each other one way only (no cycle of any
// length), the wire and the catalog know nothing of the matrix, and what the deck imports from the demo server runs in
// a browser (no Node module anywhere under it).
//
// Nodes: each folder of demo-server/src, each file directly in demo-server/src (protocol.ts, manifests.ts, … — one job
// each), each top-level folder of the repository, each folder under test/. A test file is its own node ("tests of …"):
// nothing imports a test, so tests can reach what they check without making their folder depend on it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { REPO_ROOT } from '../../demo-server/src/manifests.ts'

const SOURCE_DIRS = ['demo-server', 'components', 'setup', 'scripts', 'bench', 'test', 'types']

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = join(dir, entry)
    if (statSync(full).isDirectory()) return entry === 'node_modules' ? [] : files(full)
    return /\.(ts|vue)$/.test(entry) && !entry.endsWith('.d.ts') ? [relative(REPO_ROOT, full)] : []
  })
}

const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s)?[^'"`;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

/** What a file imports (static, re-exports and dynamic); `runtime`: leave out `import type` (erased, never loaded). */
function specifiersOf(file: string, runtime: boolean): string[] {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8')
  return [...text.matchAll(IMPORT)].filter((m) => !(runtime && m[2])).map((m) => m[3] ?? m[4] ?? '')
}

/** Relative imports of a file, resolved to repository paths. */
function importsOf(file: string, runtime = false): string[] {
  return specifiersOf(file, runtime).filter((s) => s.startsWith('.')).map((s) => relative(REPO_ROOT, resolve(REPO_ROOT, dirname(file), s)))
}

/** Packages and Node built-ins a file loads when it runs (what a browser could not load). */
function packagesOf(file: string): string[] {
  return specifiersOf(file, true).filter((s) => !s.startsWith('.'))
}

export function nodeOf(file: string): string {
  const parts = file.split('/')
  const isTest = /\.test\.ts$/.test(file)
  let folder: string
  if (parts[0] === 'demo-server' && parts[1] === 'src') folder = parts.length === 3 ? file : parts.slice(0, 3).join('/')
  else if (parts[0] === 'test') folder = parts.length === 2 ? 'test' : parts.slice(0, parts[1] === 'cluster-kit' && parts[2] === 'lib' ? 3 : 2).join('/')
  else folder = parts[0]!
  return isTest && !(parts[0] === 'test') ? `${folder} (tests)` : folder
}

export interface Edge { from: string; to: string; via: string }

/** Strongly connected components of more than one node, or with a self-edge: each is a cycle. */
export function cycles(edges: readonly Edge[]): string[][] {
  const nodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))]
  const out = new Map(nodes.map((n) => [n, edges.filter((e) => e.from === n).map((e) => e.to)]))
  let index = 0
  const idx = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const on = new Set<string>()
  const found: string[][] = []
  const visit = (v: string): void => {
    idx.set(v, index)
    low.set(v, index++)
    stack.push(v)
    on.add(v)
    for (const w of out.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!))
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = []
      let w: string
      do {
        w = stack.pop()!
        on.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1 || (out.get(v) ?? []).includes(v)) found.push(scc.sort())
    }
  }
  for (const n of nodes) if (!idx.has(n)) visit(n)
  return found
}

const all = SOURCE_DIRS.filter((d) => existsSync(join(REPO_ROOT, d))).flatMap((d) => files(join(REPO_ROOT, d)))
const fileEdges = all.flatMap((from) => importsOf(from).map((to) => ({ from, to })))
const edges: Edge[] = fileEdges.map((e) => ({ from: nodeOf(e.from), to: nodeOf(e.to), via: `${e.from} → ${e.to}` })).filter((e) => e.from !== e.to)

test('every relative import names a file that exists', () => {
  const missing = fileEdges.filter((e) => !existsSync(join(REPO_ROOT, e.to))).map((e) => `${e.from} → ${e.to}`)
  assert.deepEqual(missing, [])
})

test('the import graph between folders has one-way arrows only', () => {
  const found = cycles(edges)
  const explain = found.map((scc) => `${scc.join(' ⇄ ')}:\n${edges.filter((e) => scc.includes(e.from) && scc.includes(e.to)).map((e) => `    ${e.via}`).join('\n')}`)
  assert.deepEqual(explain, [], 'folders that import each other')
  assert.ok(edges.length > 50, `the graph was read (${edges.length} arrows)`)
})

test('the cycle finder finds a cycle of any length (the check above can fail)', () => {
  assert.deepEqual(cycles([{ from: 'a', to: 'b', via: '' }, { from: 'b', to: 'c', via: '' }, { from: 'c', to: 'a', via: '' }]), [['a', 'b', 'c']])
  assert.deepEqual(cycles([{ from: 'a', to: 'b', via: '' }, { from: 'b', to: 'c', via: '' }]), [])
  // what `runner/ ↔ probe/` looked like: two folders importing each other
  assert.equal(cycles([{ from: nodeOf('demo-server/src/runner/index.ts'), to: nodeOf('demo-server/src/probe/pool.ts'), via: '' }, { from: nodeOf('demo-server/src/probe/x.ts'), to: nodeOf('demo-server/src/runner/exec.ts'), via: '' }]).length, 1)
})

test('the wire and the catalog import nothing from the matrix (nor the catalog from the runner)', () => {
  const from = (prefix: string) => fileEdges.filter((e) => e.from.startsWith(prefix) && !e.from.endsWith('.test.ts'))
  assert.deepEqual(from('demo-server/src/protocol.ts').map((e) => e.to), [], 'protocol.ts imports only zod')
  assert.deepEqual(from('demo-server/src/catalog/').filter((e) => /src\/(matrix|runner)\//.test(e.to)).map((e) => `${e.from} → ${e.to}`), [])
  assert.deepEqual(from('demo-server/src/matrix/').filter((e) => e.to.includes('src/runner/')).map((e) => `${e.from} → ${e.to}`), [])
})

test('what the deck imports from the demo server loads in a browser: no Node module underneath', () => {
  const deck = all.filter((f) => (f.startsWith('components/') || f.startsWith('setup/')) && f !== 'setup/preparser.ts')
  const seen = new Set<string>()
  const queue = deck.flatMap((f) => importsOf(f, true).filter((to) => to.startsWith('demo-server/')))
  const problems: string[] = []
  while (queue.length) {
    const file = queue.pop()!
    if (seen.has(file)) continue
    seen.add(file)
    for (const pkg of packagesOf(file)) if (pkg.startsWith('node:') || pkg === '@kubernetes/client-node' || pkg === 'yaml') problems.push(`${file} imports ${pkg}`)
    queue.push(...importsOf(file, true))
  }
  assert.ok(seen.has('demo-server/src/protocol.ts') && seen.has('demo-server/src/matrix/reachability.ts'), [...seen].join(', '))
  assert.deepEqual(problems, [])
})
