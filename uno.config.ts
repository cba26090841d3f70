// Merged by Slidev into its UnoCSS config. The classes the pages write, given up front: Slidev's slide-info modules,
// where UnoCSS used to find them at the first page load, are no longer scanned (scripts/lib/firstStart.ts).
import { fileURLToPath } from 'node:url'
import { pageClasses } from './scripts/lib/firstStart.ts'

export default {
  safelist: pageClasses(fileURLToPath(new URL('./pages', import.meta.url))),
}
