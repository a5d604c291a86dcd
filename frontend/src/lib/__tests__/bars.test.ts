import { describe, expect, it } from 'vitest'
import { foldInto, mergeBar, toBar } from '../bars'
import { markers } from '../chartData'

describe('toBar', () => {
  it('reads engine candles (ms time) and bar events (open_time, decimal strings)', () => {
    expect(toBar({ time: 1_700_000_040_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 })).toEqual({ time: 1_700_000_040, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 })
    expect(toBar({ open_time: 60_000, open: '1.5', high: '2', low: '1', close: '1.75', volume: '10.5' }).close).toBe(1.75)
  })
  it('names the bad field', () => {
    expect(() => toBar({ open_time: 60_000, open: 'x', high: 1, low: 1, close: 1 })).toThrow(/open/)
  })
})

describe('mergeBar', () => {
  it('appends newer, replaces same-time, ignores older bars', () => {
    const bars = [{ time: 60, open: 1, high: 1, low: 1, close: 1, volume: 1 }]
    expect(mergeBar(bars, { time: 120, open: 2, high: 2, low: 2, close: 2, volume: 1 })).toBe('append')
    expect(mergeBar(bars, { time: 120, open: 2, high: 3, low: 2, close: 3, volume: 2 })).toBe('replace')
    expect(mergeBar(bars, { time: 60, open: 9, high: 9, low: 9, close: 9, volume: 9 })).toBe('stale')
    expect(bars.map((b) => b.close)).toEqual([1, 3])
  })
})

describe('foldInto', () => {
  it('folds 1m bars into a 5m bucket', () => {
    const a = foldInto(undefined, { time: 360, open: 10, high: 12, low: 9, close: 11, volume: 1 }, '5m')
    expect(a.time).toBe(300)
    const b = foldInto(a, { time: 420, open: 11, high: 15, low: 8, close: 14, volume: 2 }, '5m')
    expect(b).toEqual({ time: 300, open: 10, high: 15, low: 8, close: 14, volume: 3 })
    const c = foldInto(b, { time: 600, open: 14, high: 14, low: 14, close: 14, volume: 1 }, '5m')
    expect(c.time).toBe(600)
    expect(c.open).toBe(14)
  })
})

describe('markers', () => {
  it('snaps to the containing bar, sorts, drops marks before the first bar, colours by side', () => {
    const m = markers(
      [
        { time: 400_000, side: 'SELL', price: 1, label: 'X' },
        { time: 130_000, side: 'BUY', price: 1, label: 'B' },
        { time: 10_000, side: 'BUY', price: 1, label: 'old' },
      ],
      60,
      60,
    )
    expect(m.map((x) => [x.time, x.shape, x.position])).toEqual([
      [120, 'arrowUp', 'belowBar'],
      [360, 'arrowDown', 'aboveBar'],
    ])
  })
})
