// Typecheck-only view of the two Slidev client modules the deck's setup reaches into (tsconfig.vue.json "paths"):
// the presenter layout's stored choice and the talk's stopwatch. At run time Vite resolves the real package.
import type { ComputedRef, Ref } from 'vue'

export declare const presenterLayout: Ref<number>

export declare function useTimer(): {
  status: ComputedRef<'stopped' | 'running' | 'paused'>
  toggle: () => void
  resume: () => void
  pause: () => void
  reset: () => void
}
