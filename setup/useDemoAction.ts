// One catalog action as a slide component sees it: what to draw (the one replay rule), how to label it, whether this
// copy of the slide may start it, and run / cancel. <LiveRun>, <ProbeMatrix> and <PolicyStep> all read it here.
import { computed, ref, shallowRef, triggerRef, watchEffect } from 'vue'
import type { ComputedRef } from 'vue'
import { useNav, useSlideContext } from '@slidev/client'
import type { Run } from '../demo-server/src/protocol.ts'
import { labelOf, runToDraw } from './replayRule.ts'
import { useDemoConnection } from './useDemoConnection.ts'

/** Only the audience slide and the presenter's current slide may start things; previews and the export just show. */
export function useInteractive(): ComputedRef<boolean> {
  const { isPrintMode } = useNav()
  const { $renderContext } = useSlideContext()
  return computed(() => !isPrintMode.value && ['slide', 'presenter'].includes($renderContext.value))
}

export function useDemoAction(id: string, params?: Record<string, string | number | boolean>) {
  const demo = useDemoConnection()
  const state = demo.action(id)
  const { isPrintMode } = useNav()
  const interactive = useInteractive()
  const entry = computed(() => demo.catalog.value.get(id))
  /** the presenter asked for the last successful run (after a failure) */
  const showReplay = ref(false)
  /** the demo server answers but no cluster does (the export has no cluster by design: it says so elsewhere) */
  const clusterOffline = computed(() => !isPrintMode.value && demo.state.value === 'open' && demo.health.value?.mode === 'offline')

  /** What is drawn; triggered on every chunk of it (its chunk array grows in place). */
  const shown = shallowRef<Run | null>(null)
  watchEffect(() => {
    shown.value = runToDraw(state.run.value, state.lastSucceeded.value, showReplay.value || isPrintMode.value || clusterOffline.value)
    triggerRef(shown)
  })
  const isReplay = computed(() => !!shown.value && (shown.value.origin === 'recorded' || shown.value !== state.run.value))
  const label = computed(() => labelOf(shown.value, isReplay.value, clusterOffline.value))
  const running = computed(() => state.run.value?.status === 'running')
  /** the latest run's failure (hidden when a replay of a success is drawn instead: in the export, or with no cluster) */
  const failure = computed(() => {
    const latest = state.run.value
    if (latest?.status !== 'failed') return undefined
    return (isPrintMode.value || clusterOffline.value) && isReplay.value && shown.value !== latest ? undefined : latest.error
  })
  /** a replay can be offered: the latest run ended without success and a successful one exists */
  const replayAvailable = computed(() => {
    const latest = state.run.value
    return !!state.lastSucceeded.value && !!latest && latest.status !== 'running' && latest.status !== 'succeeded'
  })
  /** what the window knows is final: the server answered, or there is no server to ask */
  const settled = computed(() => state.loaded.value || demo.state.value === 'unconfigured' || demo.state.value === 'closed')
  const offlineReason = computed(() => {
    if (isPrintMode.value) return 'no recorded run of this step'
    if (demo.state.value !== 'open') return demo.message.value
    const h = demo.health.value
    return h && h.mode !== 'live' ? h.message : ''
  })
  /** what ran (a replay's too), else what the catalog says will run, with any chosen parameter filled in */
  const shownCommand = computed(() => {
    if (shown.value?.command) return shown.value.command
    const line = entry.value?.shownCommand
    return line && params ? Object.entries(params).reduce((l, [k, v]) => l.replaceAll(`<${k}>`, String(v)), line) : line
  })
  const canRun = computed(() => demo.state.value === 'open')

  const release = (event?: Event) => (event?.currentTarget as HTMLElement | undefined)?.blur() // keep Slidev's keys for navigation
  return {
    id,
    entry,
    refusal: state.refusal,
    latest: state.run,
    lastSucceeded: state.lastSucceeded,
    shown,
    isReplay,
    label,
    running,
    failure,
    replayAvailable,
    showReplay,
    settled,
    offlineReason,
    shownCommand,
    interactive,
    canRun,
    run(event?: Event): void {
      release(event)
      showReplay.value = false
      demo.run(id, params)
    },
    cancel(event?: Event): void {
      release(event)
      demo.cancel(id)
    },
    /** show the last successful run instead of the failed latest one, or back */
    toggleReplay(event?: Event): void {
      release(event)
      showReplay.value = !showReplay.value
    },
  }
}

export type DemoAction = ReturnType<typeof useDemoAction>
