/**
 * Chart indicators computed client-side from candles (pure functions, no DOM).
 * Rules: input arrays are in time order; an output value is `null` until the indicator has enough
 * history (warm-up), so outputs always have the same length as the input and line up bar for bar.
 * Formulas follow the usual TA-Lib/TradingView definitions:
 * - EMA seeded with the SMA of the first `period` values, alpha = 2 / (period + 1).
 * - Bollinger: SMA(period) +/- k * population standard deviation over the same window.
 * - VWAP: cumulative sum(typical price * volume) / sum(volume), reset at each UTC day.
 * - RSI: Wilder smoothing (seeded with the simple average of the first `period` gains/losses).
 * - MACD: EMA(fast) - EMA(slow); signal = EMA(signal) of MACD; histogram = MACD - signal.
 */

export interface OHLCV {
  time: number // epoch seconds (UTC)
  open: number
  high: number
  low: number
  close: number
  volume: number
}

export type Series = (number | null)[]

function checkPeriod(name: string, period: number): void {
  if (!Number.isInteger(period) || period < 1) throw new RangeError(`${name}: period must be a positive integer, got ${period}`)
}

export function sma(values: readonly number[], period: number): Series {
  checkPeriod('sma', period)
  const out: Series = new Array(values.length).fill(null)
  let sum = 0
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!
    if (i >= period) sum -= values[i - period]!
    if (i >= period - 1) out[i] = sum / period
  }
  return out
}

/** EMA over a series that may start with nulls (used for the MACD signal line). */
export function ema(values: readonly (number | null)[], period: number): Series {
  checkPeriod('ema', period)
  const out: Series = new Array(values.length).fill(null)
  const alpha = 2 / (period + 1)
  let seedSum = 0
  let seen = 0
  let prev: number | null = null
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v === null || v === undefined) continue
    if (prev === null) {
      seedSum += v
      seen++
      if (seen === period) {
        prev = seedSum / period
        out[i] = prev
      }
    } else {
      prev = alpha * v + (1 - alpha) * prev
      out[i] = prev
    }
  }
  return out
}

export interface Bands {
  upper: Series
  middle: Series
  lower: Series
}

export function bollinger(values: readonly number[], period = 20, k = 2): Bands {
  checkPeriod('bollinger', period)
  const middle = sma(values, period)
  const upper: Series = new Array(values.length).fill(null)
  const lower: Series = new Array(values.length).fill(null)
  for (let i = period - 1; i < values.length; i++) {
    const m = middle[i]!
    let acc = 0
    for (let j = i - period + 1; j <= i; j++) acc += (values[j]! - m) ** 2
    const sd = Math.sqrt(acc / period)
    upper[i] = m + k * sd
    lower[i] = m - k * sd
  }
  return { upper, middle, lower }
}

const DAY_S = 86_400

export function vwap(bars: readonly OHLCV[]): Series {
  const out: Series = new Array(bars.length).fill(null)
  let day = Number.NaN
  let pv = 0
  let vol = 0
  for (let i = 0; i < bars.length; i++) {
    const b = bars[i]!
    const d = Math.floor(b.time / DAY_S)
    if (d !== day) {
      day = d
      pv = 0
      vol = 0
    }
    pv += ((b.high + b.low + b.close) / 3) * b.volume
    vol += b.volume
    out[i] = vol > 0 ? pv / vol : null
  }
  return out
}

export function rsi(values: readonly number[], period = 14): Series {
  checkPeriod('rsi', period)
  const out: Series = new Array(values.length).fill(null)
  if (values.length <= period) return out
  let gain = 0
  let loss = 0
  for (let i = 1; i <= period; i++) {
    const d = values[i]! - values[i - 1]!
    if (d > 0) gain += d
    else loss -= d
  }
  gain /= period
  loss /= period
  const value = (g: number, l: number): number => (l === 0 ? (g === 0 ? 50 : 100) : 100 - 100 / (1 + g / l))
  out[period] = value(gain, loss)
  for (let i = period + 1; i < values.length; i++) {
    const d = values[i]! - values[i - 1]!
    gain = (gain * (period - 1) + Math.max(d, 0)) / period
    loss = (loss * (period - 1) + Math.max(-d, 0)) / period
    out[i] = value(gain, loss)
  }
  return out
}

export interface Macd {
  macd: Series
  signal: Series
  histogram: Series
}

export function macd(values: readonly number[], fast = 12, slow = 26, signalPeriod = 9): Macd {
  if (fast >= slow) throw new RangeError(`macd: fast period (${fast}) must be shorter than slow (${slow})`)
  const f = ema(values, fast)
  const s = ema(values, slow)
  const line: Series = values.map((_, i) => (f[i] != null && s[i] != null ? f[i]! - s[i]! : null))
  const signal = ema(line, signalPeriod)
  const histogram: Series = line.map((m, i) => (m != null && signal[i] != null ? m - signal[i]! : null))
  return { macd: line, signal, histogram }
}
