import { describe, expect, it } from 'vitest'
import { dailyCloses, equityFromTrades, filterTrades, maxDrawdown, periodStart, pnlByPeriod, sharpe, sortTrades, tradeStats, type ClosedTrade } from '../stats'

const DAY = 86_400_000
const t = (id: string, pnl: number, exitTime: number, symbol = 'BTCUSDT', side = 'LONG', reason = 'target'): ClosedTrade => ({
  id, symbol, side, pnl, exitTime, entryTime: exitTime - 60_000, entryPrice: 100, exitPrice: 100 + pnl, quantity: 1, fee: 0.1, reason,
})

describe('tradeStats', () => {
  it('computes win rate and profit factor, flat trades in neither', () => {
    const s = tradeStats([t('a', 30, 1), t('b', -10, 2), t('c', 20, 3), t('d', 0, 4), t('e', -5, 5)])
    expect(s.count).toBe(5)
    expect(s.wins).toBe(2)
    expect(s.losses).toBe(2)
    expect(s.winRate).toBeCloseTo(0.4)
    expect(s.profitFactor).toBeCloseTo(50 / 15)
    expect(s.netPnl).toBeCloseTo(35)
    expect(s.avgLoss).toBeCloseTo(-7.5)
  })
  it('handles no trades and no losses', () => {
    expect(tradeStats([]).profitFactor).toBeNull()
    expect(tradeStats([]).winRate).toBeNull()
    expect(tradeStats([t('a', 5, 1)]).profitFactor).toBe(Infinity)
  })
})

describe('equity measures', () => {
  it('max drawdown is the worst peak-to-trough fraction', () => {
    const curve = [100, 120, 90, 110, 130, 104].map((equity, i) => ({ time: i, equity }))
    expect(maxDrawdown(curve)).toBeCloseTo(0.25)
  })
  it('daily closes keep the last point of each UTC day', () => {
    const c = dailyCloses([{ time: 10, equity: 1 }, { time: DAY - 1, equity: 2 }, { time: DAY + 5, equity: 3 }])
    expect(c).toEqual([{ time: 0, equity: 2 }, { time: DAY, equity: 3 }])
  })
  it('sharpe annualises mean/std of daily returns and needs 2 returns with variance', () => {
    const eq = [100, 101, 100.5, 102]
    const curve = eq.map((equity, i) => ({ time: i * DAY, equity }))
    const r = [1.01 - 1, 100.5 / 101 - 1, 102 / 100.5 - 1]
    const mean = r.reduce((a, b) => a + b) / 3
    const sd = Math.sqrt(r.reduce((a, x) => a + (x - mean) ** 2, 0) / 2)
    expect(sharpe(curve)).toBeCloseTo((mean / sd) * Math.sqrt(365))
    expect(sharpe(curve.slice(0, 2))).toBeNull()
    expect(sharpe([0, 1, 2].map((i) => ({ time: i * DAY, equity: 100 })))).toBeNull()
  })
  it('rebuilds an equity curve from trades in exit order', () => {
    const c = equityFromTrades([t('b', -10, 2 * DAY), t('a', 30, DAY)], 1000)
    expect(c.map((p) => p.equity)).toEqual([1000, 1030, 1020])
  })
})

describe('periods', () => {
  it('buckets by UTC day, ISO week (Monday) and month', () => {
    const wed = Date.UTC(2026, 10, 18, 15) // Wednesday 18 Nov 2026
    expect(periodStart(wed, 'day')).toBe('2026-11-18')
    expect(periodStart(wed, 'week')).toBe('2026-11-16')
    expect(periodStart(Date.UTC(2026, 10, 22, 3), 'week')).toBe('2026-11-16') // Sunday belongs to the week before
    expect(periodStart(wed, 'month')).toBe('2026-11-01')
  })
  it('sums realised P&L per period, oldest first', () => {
    const rows = pnlByPeriod([t('a', 5, Date.UTC(2026, 10, 19)), t('b', -2, Date.UTC(2026, 10, 18, 1)), t('c', 1, Date.UTC(2026, 10, 18, 2))], 'day')
    expect(rows).toEqual([
      { period: '2026-11-18', pnl: -1, trades: 2 },
      { period: '2026-11-19', pnl: 5, trades: 1 },
    ])
  })
})

describe('sorting and filtering', () => {
  const trades = [t('a', 5, 3, 'ETHUSDT'), t('b', -2, 1, 'BTCUSDT', 'SHORT', 'stop hit'), t('c', 9, 2)]
  it('sorts by any column, both directions', () => {
    expect(sortTrades(trades, 'pnl', true).map((x) => x.id)).toEqual(['c', 'a', 'b'])
    expect(sortTrades(trades, 'symbol', false).map((x) => x.id)).toEqual(['b', 'c', 'a'])
    expect(sortTrades(trades, 'exitTime', false).map((x) => x.id)).toEqual(['b', 'c', 'a'])
  })
  it('filters by pair, side, outcome and text', () => {
    expect(filterTrades(trades, { symbol: 'BTCUSDT' }).map((x) => x.id)).toEqual(['b', 'c'])
    expect(filterTrades(trades, { side: 'short' }).map((x) => x.id)).toEqual(['b'])
    expect(filterTrades(trades, { outcome: 'win' }).map((x) => x.id)).toEqual(['a', 'c'])
    expect(filterTrades(trades, { text: 'STOP' }).map((x) => x.id)).toEqual(['b'])
  })
})
