/**
 * Test and diagnostics hooks on `window.__tb` (read by the browser end-to-end suite; harmless in
 * production: no secrets, only counters and the chart's own data). `barApplied` records, for every
 * live bar the chart drew, the wall-clock time (Date.now()) it was applied, so a test can measure
 * engine publish -> chart latency with one clock.
 */
import type { OHLCV } from './lib/indicators'

export interface BarApplied {
  id: string // engine event (Redis stream entry) id
  symbol: string
  interval: string
  time: number // bar open time, epoch seconds
  close: number
  at: number // Date.now() when drawn
}

export interface TbHooks {
  chartReady: boolean
  bars: () => number
  lastBar: () => OHLCV | null
  visibleRange: () => { from: number; to: number } | null
  setBars: ((bars: OHLCV[]) => number) | null // returns ms spent in setData; detaches the chart from live bars until reload
  detached: boolean
  lastSetAll: { bars: number; overlaysMs: number; setDataMs: number } | null
  barApplied: BarApplied[]
  events: number
  symbol: string
  interval: string
  halted: boolean
}

declare global {
  interface Window {
    __tb: TbHooks
    __chartReady?: boolean
  }
}

export const tb: TbHooks = {
  chartReady: false,
  bars: () => 0,
  lastBar: () => null,
  visibleRange: () => null,
  setBars: null,
  detached: false,
  lastSetAll: null,
  barApplied: [],
  events: 0,
  symbol: '',
  interval: '',
  halted: false,
}

if (typeof window !== 'undefined') window.__tb = tb

export function recordBar(b: BarApplied): void {
  tb.barApplied.push(b)
  if (tb.barApplied.length > 1000) tb.barApplied.splice(0, tb.barApplied.length - 1000)
}
