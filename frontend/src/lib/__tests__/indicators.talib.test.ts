/**
 * Cross-check against TA-Lib (the engine's reference implementation) on real bundled BTCUSDT 1m
 * candles: the repository venv computes EMA/RSI/MACD/BBANDS with talib, this file with ours.
 * Needs ../.venv with ta-lib (make setup); fails loudly if the venv is missing.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { bollinger, ema, macd, rsi } from '../indicators'

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..')
const python = process.env.PYTHON ?? resolve(root, '.venv/bin/python')
const csv = resolve(root, 'ai_engine/sample_data/binance/spot/klines_1m/BTCUSDT-1m-2023-03-23.csv.gz')

const script = `
import gzip, json, sys
import numpy as np, talib
closes = np.array([float(l.split(',')[4]) for l in gzip.open(sys.argv[1], 'rt') if l[0].isdigit()])
m, s, h = talib.MACD(closes, 12, 26, 9)
u, mid, lo = talib.BBANDS(closes, 20, 2, 2)
f = lambda a: [None if np.isnan(x) else float(x) for x in a]
json.dump({'closes': closes.tolist(), 'ema': f(talib.EMA(closes, 20)), 'rsi': f(talib.RSI(closes, 14)),
           'macd': f(m), 'signal': f(s), 'hist': f(h), 'bbu': f(u), 'bbl': f(lo)}, sys.stdout)
`

describe('indicators vs TA-Lib on real candles', () => {
  if (!existsSync(python)) throw new Error(`no venv python at ${python}: run make setup`)
  const ref = JSON.parse(execFileSync(python, ['-c', script, csv], { encoding: 'utf8', maxBuffer: 32 << 20 })) as Record<string, (number | null)[]>
  const closes = ref.closes as number[]
  const close = (ours: (number | null)[], theirs: (number | null)[], from: number, tol: number) => {
    expect(ours.length).toBe(theirs.length)
    for (let i = from; i < ours.length; i++) {
      expect(ours[i], `index ${i}`).not.toBeNull()
      expect(Math.abs(ours[i]! - theirs[i]!), `index ${i}`).toBeLessThan(tol)
    }
  }
  it('has a full day of bars', () => expect(closes.length).toBe(1440))
  it('EMA 20 matches', () => close(ema(closes, 20), ref.ema!, 19, 1e-6))
  it('RSI 14 matches', () => close(rsi(closes, 14), ref.rsi!, 14, 1e-6))
  it('Bollinger 20/2 matches', () => {
    const b = bollinger(closes, 20, 2)
    close(b.upper, ref.bbu!, 19, 1e-6)
    close(b.lower, ref.bbl!, 19, 1e-6)
  })
  it('MACD 12/26/9 matches once TA-Lib has output', () => {
    const m = macd(closes)
    // TA-Lib starts MACD output where the signal line exists (index 33); it seeds the fast EMA later,
    // so the first values differ slightly; they converge within a few hundred bars.
    const from = ref.macd!.findIndex((x) => x !== null) + 300
    close(m.macd, ref.macd!, from, 1e-3)
    close(m.signal, ref.signal!, from, 1e-3)
  })
})
