// The first start skips what this deck does not need (scripts/lib/firstStart.ts): checked against Slidev's own dev
// server, its config merged with vite.config.ts and uno.config.ts as `npm start` merges them (nothing listens; Vite's
// cache goes to a temporary folder, so a running deck's cache is left alone).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, resolveOptions } from '@slidev/cli'
import { classesIn, isMonacoOnlyDep, pageClasses, SLIDE_INFO_ID, withoutMonacoDeps } from '../../scripts/lib/firstStart.ts'
import { readDeck } from '../../scripts/lib/slides.ts'
import { REPO_ROOT } from '../../demo-server/src/manifests.ts'

const cacheDir = mkdtempSync(join(tmpdir(), 'first-start-vite-'))
const options = await resolveOptions({ entry: join(REPO_ROOT, 'slides.md') }, 'dev')
const server = await createServer(options, { cacheDir, logLevel: 'silent', server: { ws: false } })
after(async () => {
  await server.close()
  rmSync(cacheDir, { recursive: true, force: true })
})

test('Monaco-only dependencies leave the pre-bundle list, in both of Slidev\'s spellings; the rest stay in order', () => {
  assert.deepEqual(
    withoutMonacoDeps(['@slidev/cli > @slidev/client > @typescript/ata', 'file-saver', '@slidev/cli > @slidev/client > typescript', 'typescript', 'yaml', 'typescript-eslint']),
    ['file-saver', 'yaml', 'typescript-eslint'],
  )
})

test('the deck\'s dev server pre-bundles neither the TypeScript compiler nor Monaco\'s type acquisition, and keeps the rest', () => {
  const include = server.config.optimizeDeps.include ?? []
  assert.deepEqual(include.filter(isMonacoOnlyDep), [])
  for (const kept of ['ansi_up', 'zod', '@slidev/cli > @slidev/client > pptxgenjs', '@slidev/cli > @slidev/client > recordrtc']) assert.ok(include.includes(kept), `${kept} is still pre-bundled`)
})

test('no slide uses Monaco or a code runner, which would need the compiler the first start no longer pre-bundles', async () => {
  const users = (await readDeck()).filter((s) => /^(```|~~~)\w*.*\{monaco(-run|-diff)?\b/m.test(s.content) || /<Monaco\b/.test(s.content))
  assert.deepEqual(users.map((s) => `${s.file} (slide ${s.no})`), [])
})

test('a slide-info module reaches UnoCSS marked @unocss-ignore, and still exports the slide\'s notes', async () => {
  const slides = await readDeck()
  const noted = slides.find((s) => s.demo && !s.hidden)!
  const id = `/${noted.file}__slidev_${noted.no}.frontmatter`
  assert.match(id, SLIDE_INFO_ID)
  const result = await server.transformRequest(id)
  assert.ok(result, `${id} transforms`)
  assert.ok(result.code.indexOf('@unocss-ignore') >= 0 && result.code.indexOf('@unocss-ignore') < result.code.indexOf('@unocss-include'), 'the ignore mark comes before Slidev\'s include mark')
  assert.match(result.code, /"noteHTML":/)
})

test('the classes the pages write are in the first UnoCSS stylesheet, before any slide has loaded', async () => {
  const css = (await server.transformRequest('/@id/__x00__/__uno.css'))?.code ?? ''
  // utilities from the pages: a grid with an arbitrary column template, the corner label's position
  for (const selector of ['.grid-cols-\\\\[1fr_1fr\\\\]', '.grid-cols-2', '.right-8', '.top-5', '.gap-x-6']) assert.ok(css.includes(selector), `${selector} is generated`)
  assert.ok(pageClasses(join(REPO_ROOT, 'pages')).includes('grid-cols-[1fr_1fr]'))
})

test('page classes are read from markup and from a slide\'s frontmatter', () => {
  assert.deepEqual(classesIn('<div class="grid  grid-cols-2 mt-2">\n---\nlayout: default\nclass: "text-center px-4"\n---\n# Title'), ['grid', 'grid-cols-2', 'mt-2', 'text-center', 'px-4'])
})
