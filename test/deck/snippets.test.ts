// Code shown on a slide that is not a manifest lives in snippets/ and is included by Slidev (`<<< @/snippets/x`), so
// the slide shows the file and the file is checked: every snippet is on a slide, every include names a file that
// exists, and each snippet parses in its own language (a YAML snippet is YAML, a shell snippet is valid bash).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { readDeck, snippetIncludes } from '../../scripts/lib/slides.ts'
import { REPO_ROOT } from '../../demo-server/src/manifests.ts'

const slides = (await readDeck()).filter((s) => !s.hidden)
const includes = slides.flatMap((s) => snippetIncludes(s.content).map((path) => ({ path, slide: s })))
const snippets = readdirSync(join(REPO_ROOT, 'snippets')).map((f) => `snippets/${f}`)

test('the reader finds Slidev includes, with or without region, language and meta', () => {
  assert.deepEqual(snippetIncludes('text\n<<< @/snippets/a.yaml\n<<< @/snippets/b.sh#part bash {lines:true}\n  <<< not at line start'), ['snippets/a.yaml', 'snippets/b.sh'])
  assert.deepEqual(snippetIncludes('no include here'), [])
})

test('every include on a slide names a file that exists', () => {
  const missing = includes.filter(({ path }) => !existsSync(join(REPO_ROOT, path))).map(({ path, slide }) => `${slide.file} (slide ${slide.no}): ${path}`)
  assert.deepEqual(missing, [])
  assert.ok(includes.length > 0, 'the slides include snippets')
})

test('every snippet is shown on a slide', () => {
  const used = new Set(includes.map(({ path }) => path))
  assert.deepEqual(snippets.filter((f) => !used.has(f)), [])
})

test('each snippet parses in its language', () => {
  for (const file of snippets) {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8')
    if (/\.ya?ml$/.test(file)) {
      const errors = parseAllDocuments(text).flatMap((d) => ('errors' in d ? d.errors : []))
      assert.deepEqual(errors.map((e) => e.message), [], file)
    } else if (/\.sh$/.test(file)) {
      assert.doesNotThrow(() => execFileSync('bash', ['-n', join(REPO_ROOT, file)], { stdio: 'pipe' }), file)
    } else assert.fail(`${file}: no check for this kind of snippet (add one)`)
  }
})
