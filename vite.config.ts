// Merged into Slidev's own Vite config. The demo components import these packages, but only slides after the first
// one load the components: without pre-bundling them at start, Vite discovers them when the presenter reaches a
// demo slide (or midway through an export), re-bundles and reloads the page. firstStartPlugins: what a first start
// skips that this deck does not need (scripts/lib/firstStart.ts says what and why).
import { defineConfig } from 'vite'
import { firstStartPlugins } from './scripts/lib/firstStart.ts'

export default defineConfig({
  optimizeDeps: { include: ['ansi_up', 'zod'] },
  plugins: firstStartPlugins(),
})
