/**
 * Candle bookkeeping shared by the chart and the reducers.
 * Rules: bars are kept sorted by `time` (epoch seconds, bar open time) with no duplicates; a live bar
 * with the same open time replaces the last one, a newer one is appended, an older one is ignored
 * (the chart library refuses out-of-order updates). Engine candles and `bar` events carry epoch
 * milliseconds; conversion happens here, once.
 */
import type { OHLCV } from './indicators'

export const INTERVALS = ['1m', '5m', '15m', '1h', '4h', '1d'] as const
export type Interval = (typeof INTERVALS)[number]

const SECONDS: Record<Interval, number> = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '4h': 14_400, '1d': 86_400 }

export function intervalSeconds(interval: Interval): number {
  return SECONDS[interval]
}

export function isInterval(value: string): value is Interval {
  return (INTERVALS as readonly string[]).includes(value)
}

function num(value: unknown, field: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN
  if (!Number.isFinite(n)) throw new TypeError(`bar: field ${field} is not a number: ${JSON.stringify(value)}`)
  return n
}

/** An engine candle ({time: ms, open, ...}) or a `bar` event payload ({open_time: ms, ...}) to OHLCV. */
export function toBar(raw: Record<string, unknown>): OHLCV {
  const ms = num(raw.open_time ?? raw.time, 'open_time')
  return {
    time: Math.floor(ms / 1000),
    open: num(raw.open, 'open'),
    high: num(raw.high, 'high'),
    low: num(raw.low, 'low'),
    close: num(raw.close, 'close'),
    volume: num(raw.volume ?? 0, 'volume'),
  }
}

export type MergeResult = 'append' | 'replace' | 'stale'

/** Merge one live bar into `bars` in place; says what happened so the chart can mirror it. */
export function mergeBar(bars: OHLCV[], bar: OHLCV): MergeResult {
  const last = bars[bars.length - 1]
  if (!last || bar.time > last.time) {
    bars.push(bar)
    return 'append'
  }
  if (bar.time === last.time) {
    bars[bars.length - 1] = bar
    return 'replace'
  }
  return 'stale'
}

/**
 * Fold a finer bar (e.g. a live 1m bar) into the bucket of a coarser interval: returns the updated
 * coarse bar for `bucketStart = floor(time / interval)`. `current` is the coarse bar being built
 * (or undefined when the fine bar opens a new bucket).
 */
export function foldInto(current: OHLCV | undefined, fine: OHLCV, interval: Interval): OHLCV {
  const step = intervalSeconds(interval)
  const start = Math.floor(fine.time / step) * step
  if (!current || current.time !== start) return { ...fine, time: start }
  return {
    time: start,
    open: current.open,
    high: Math.max(current.high, fine.high),
    low: Math.min(current.low, fine.low),
    close: fine.close,
    volume: current.volume + fine.volume,
  }
}
