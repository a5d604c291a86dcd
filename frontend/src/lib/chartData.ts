/**
 * Turns bars + indicator series into the point arrays lightweight-charts wants, and trades into
 * markers. Rules: indicator nulls (warm-up) are skipped, times are UTCTimestamp seconds, markers are
 * sorted by time and snapped to the open time of the bar that contains them.
 */
import type { Time, UTCTimestamp } from 'lightweight-charts'
import { bollinger, ema, macd, rsi, vwap, type OHLCV, type Series } from './indicators'

export interface LinePoint {
  time: UTCTimestamp
  value: number
}

export interface Overlays {
  ema20: LinePoint[]
  ema50: LinePoint[]
  bbUpper: LinePoint[]
  bbMiddle: LinePoint[]
  bbLower: LinePoint[]
  vwap: LinePoint[]
  rsi: LinePoint[]
  macd: LinePoint[]
  macdSignal: LinePoint[]
  macdHist: (LinePoint & { color: string })[]
}

export const UP = '#26a69a'
export const DOWN = '#ef5350'

export function points(bars: readonly OHLCV[], s: Series): LinePoint[] {
  const out: LinePoint[] = []
  for (let i = 0; i < bars.length; i++) {
    const v = s[i]
    if (v !== null && v !== undefined) out.push({ time: bars[i]!.time as UTCTimestamp, value: v })
  }
  return out
}

export function overlays(bars: readonly OHLCV[]): Overlays {
  const closes = bars.map((b) => b.close)
  const bb = bollinger(closes, 20, 2)
  const m = macd(closes)
  const hist = points(bars, m.histogram)
  return {
    ema20: points(bars, ema(closes, 20)),
    ema50: points(bars, ema(closes, 50)),
    bbUpper: points(bars, bb.upper),
    bbMiddle: points(bars, bb.middle),
    bbLower: points(bars, bb.lower),
    vwap: points(bars, vwap(bars)),
    rsi: points(bars, rsi(closes, 14)),
    macd: points(bars, m.macd),
    macdSignal: points(bars, m.signal),
    macdHist: hist.map((p) => ({ ...p, color: p.value >= 0 ? 'rgba(38,166,154,0.6)' : 'rgba(239,83,80,0.6)' })),
  }
}

export function candlePoints(bars: readonly OHLCV[]): { time: UTCTimestamp; open: number; high: number; low: number; close: number }[] {
  return bars.map((b) => ({ time: b.time as UTCTimestamp, open: b.open, high: b.high, low: b.low, close: b.close }))
}

export function volumePoints(bars: readonly OHLCV[]): { time: UTCTimestamp; value: number; color: string }[] {
  return bars.map((b) => ({ time: b.time as UTCTimestamp, value: b.volume, color: b.close >= b.open ? 'rgba(38,166,154,0.35)' : 'rgba(239,83,80,0.35)' }))
}

export interface TradeMark {
  time: number // epoch ms
  side: string // BUY | SELL | LONG | SHORT
  price: number
  label: string
}

export interface Marker {
  time: Time
  position: 'aboveBar' | 'belowBar'
  color: string
  shape: 'arrowUp' | 'arrowDown'
  text: string
}

export function markers(marks: readonly TradeMark[], stepSeconds: number, firstBar: number | undefined): Marker[] {
  return marks
    .map((m) => ({ ...m, t: Math.floor(m.time / 1000 / stepSeconds) * stepSeconds }))
    .filter((m) => firstBar === undefined || m.t >= firstBar)
    .sort((a, b) => a.t - b.t)
    .map((m) => {
      const buy = /^(BUY|LONG)/i.test(m.side)
      return {
        time: m.t as UTCTimestamp,
        position: buy ? 'belowBar' : 'aboveBar',
        color: buy ? '#2196f3' : '#ff9800',
        shape: buy ? 'arrowUp' : 'arrowDown',
        text: m.label,
      }
    })
}
