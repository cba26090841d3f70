// What the deck's Vite and UnoCSS configs (vite.config.ts, uno.config.ts) change so that a first start does only the
// work this deck needs. Measured with `npm run bench -- --only start` and CPU profiles of the Slidev process; the two
// costs stock Slidev pays that this deck does not need:
//   - Vite pre-bundles the TypeScript compiler (10 MB, with a 14 MB source map) on every cold start, because Slidev
//     lists it for Monaco's type acquisition and its code runner. No slide here uses Monaco or a code runner (a deck
//     test keeps it so), and the browser never requests it; the bundling took 1.5–2 s of a 5 s first start.
//   - Slidev's per-slide info modules (`…md__slidev_N.frontmatter`) carry each slide's source and its rendered speaker
//     notes, and are marked `@unocss-include`, so at the first page load UnoCSS matched every word of 62 slides and
//     their notes against every utility rule (0.2 s of CPU on the critical path). Each slide's own module is still
//     scanned when it loads, as stock does; the classes the pages write are given to UnoCSS up front instead, so no
//     slide is ever drawn before its classes exist.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Plugin } from 'vite'

/** Pre-bundled dependencies only Monaco and the code runner import (Slidev lists them bare or as `a > b > name`). */
export const MONACO_ONLY_DEPS = ['typescript', '@typescript/ata'] as const

/** Whether a pre-bundle entry is one of MONACO_ONLY_DEPS, in either of Slidev's spellings. */
export const isMonacoOnlyDep = (dep: string): boolean => MONACO_ONLY_DEPS.some((name) => dep === name || dep.endsWith(` > ${name}`))

/** Slidev's pre-bundle list without the dependencies only Monaco and the code runner use; the rest kept in order. */
export function withoutMonacoDeps(include: readonly string[]): string[] {
  return include.filter((dep) => !isMonacoOnlyDep(dep))
}

/** Slidev's module id for one slide's info (frontmatter, source, notes): `<file>.md__slidev_<n>.frontmatter`. */
export const SLIDE_INFO_ID = /\.md__slidev_\d+\.frontmatter$/

/** UnoCSS skips a module whose code says `@unocss-ignore` (checked before `@unocss-include`). */
export const UNOCSS_IGNORE = '// @unocss-ignore\n'

/**
 * Runs after Slidev's config hook: drops Monaco's dependencies from pre-bundling. Marks the slide-info modules
 * `@unocss-ignore` before UnoCSS sees them (enforce: 'pre', and vite.config.ts's plugins come before Slidev's).
 */
export function firstStartPlugins(): Plugin[] {
  return [
    {
      name: 'deck:no-monaco-prebundle',
      enforce: 'post',
      config(config) {
        if (config.optimizeDeps?.include) config.optimizeDeps.include = withoutMonacoDeps(config.optimizeDeps.include)
      },
    },
    {
      name: 'deck:slide-info-not-scanned',
      enforce: 'pre',
      transform(code, id) {
        if (!SLIDE_INFO_ID.test(id)) return undefined
        return { code: UNOCSS_IGNORE + code, map: null }
      },
    },
  ]
}

/**
 * The classes a page names, in its markup (`class="a b"`) or a slide's frontmatter (`class: a b`): what UnoCSS found
 * in the slide-info modules before they were skipped.
 */
export function classesIn(markdown: string): string[] {
  const values = [...markdown.matchAll(/\bclass="([^"]*)"/g), ...markdown.matchAll(/^class:[ \t]*['"]?([^'"\n]*)['"]?[ \t]*$/gm)]
  return values.flatMap((m) => m[1]!.split(/\s+/)).filter(Boolean)
}

/** Every class the deck's pages write, sorted and unique: UnoCSS's safelist, so they exist from the first page. */
export function pageClasses(pagesDir: string): string[] {
  const classes = new Set<string>()
  for (const file of readdirSync(pagesDir, { recursive: true, encoding: 'utf8' })) {
    if (file.endsWith('.md')) for (const c of classesIn(readFileSync(join(pagesDir, file), 'utf8'))) classes.add(c)
  }
  return [...classes].sort()
}
