/**
 * Trade and equity statistics for the history and performance panels (pure functions).
 * Rules:
 * - A trade's `pnl` is net of fees. Win = pnl > 0; loss = pnl < 0; a flat trade counts in neither
 *   the numerator of the win rate nor the gross loss, but does count in the denominator.
 * - Profit factor = gross profit / gross loss; Infinity when there are wins and no losses, null with no trades.
 * - Sharpe: mean / sample std of per-period returns of the equity curve (daily buckets, UTC),
 *   annualised by sqrt(365) (crypto trades every day); null with fewer than 2 returns or zero variance.
 * - Max drawdown: largest peak-to-trough fall of equity, as a positive fraction of the peak.
 * - Period P&L buckets: UTC day, ISO week (Monday start), calendar month, keyed by the period's start date.
 */

export interface ClosedTrade {
  id: string
  symbol: string
  side: string
  entryTime: number // epoch ms
  exitTime: number // epoch ms
  entryPrice: number
  exitPrice: number
  quantity: number
  pnl: number
  fee: number
  reason: string
}

export interface TradeStats {
  count: number
  wins: number
  losses: number
  winRate: number | null
  grossProfit: number
  grossLoss: number
  profitFactor: number | null
  netPnl: number
  avgWin: number | null
  avgLoss: number | null
}

export function tradeStats(trades: readonly ClosedTrade[]): TradeStats {
  let wins = 0
  let losses = 0
  let grossProfit = 0
  let grossLoss = 0
  for (const t of trades) {
    if (t.pnl > 0) {
      wins++
      grossProfit += t.pnl
    } else if (t.pnl < 0) {
      losses++
      grossLoss -= t.pnl
    }
  }
  const count = trades.length
  return {
    count,
    wins,
    losses,
    winRate: count ? wins / count : null,
    grossProfit,
    grossLoss,
    profitFactor: count === 0 ? null : grossLoss === 0 ? (grossProfit > 0 ? Infinity : null) : grossProfit / grossLoss,
    netPnl: grossProfit - grossLoss,
    avgWin: wins ? grossProfit / wins : null,
    avgLoss: losses ? -grossLoss / losses : null,
  }
}

export interface EquityPoint {
  time: number // epoch ms
  equity: number
}

export function maxDrawdown(curve: readonly EquityPoint[]): number {
  let peak = -Infinity
  let worst = 0
  for (const p of curve) {
    if (p.equity > peak) peak = p.equity
    if (peak > 0) worst = Math.max(worst, (peak - p.equity) / peak)
  }
  return worst
}

const DAY_MS = 86_400_000

/** Last equity of each UTC day, in order. */
export function dailyCloses(curve: readonly EquityPoint[]): EquityPoint[] {
  const out: EquityPoint[] = []
  for (const p of curve) {
    const day = Math.floor(p.time / DAY_MS) * DAY_MS
    const last = out[out.length - 1]
    if (last && last.time === day) last.equity = p.equity
    else out.push({ time: day, equity: p.equity })
  }
  return out
}

export function sharpe(curve: readonly EquityPoint[], periodsPerYear = 365): number | null {
  const closes = dailyCloses(curve)
  const returns: number[] = []
  for (let i = 1; i < closes.length; i++) {
    const prev = closes[i - 1]!.equity
    if (prev > 0) returns.push(closes[i]!.equity / prev - 1)
  }
  if (returns.length < 2) return null
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length
  const variance = returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (returns.length - 1)
  if (variance <= 0) return null
  return (mean / Math.sqrt(variance)) * Math.sqrt(periodsPerYear)
}

export type Period = 'day' | 'week' | 'month'

export function periodStart(ms: number, period: Period): string {
  const d = new Date(ms)
  if (period === 'month') return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-01`
  let start = Math.floor(ms / DAY_MS) * DAY_MS
  if (period === 'week') start -= ((d.getUTCDay() + 6) % 7) * DAY_MS // back to Monday
  return new Date(start).toISOString().slice(0, 10)
}

/** Realised P&L per period (by exit time), oldest first. */
export function pnlByPeriod(trades: readonly ClosedTrade[], period: Period): { period: string; pnl: number; trades: number }[] {
  const buckets = new Map<string, { pnl: number; trades: number }>()
  for (const t of trades) {
    const key = periodStart(t.exitTime, period)
    const b = buckets.get(key) ?? { pnl: 0, trades: 0 }
    b.pnl += t.pnl
    b.trades++
    buckets.set(key, b)
  }
  return [...buckets.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, b]) => ({ period: p, ...b }))
}

/** Equity curve rebuilt from closed trades when the engine offers no snapshots. */
export function equityFromTrades(trades: readonly ClosedTrade[], startEquity: number): EquityPoint[] {
  const sorted = [...trades].sort((a, b) => a.exitTime - b.exitTime)
  let eq = startEquity
  const out: EquityPoint[] = sorted.length ? [{ time: sorted[0]!.entryTime, equity: eq }] : []
  for (const t of sorted) {
    eq += t.pnl
    out.push({ time: t.exitTime, equity: eq })
  }
  return out
}

export type SortKey = 'exitTime' | 'symbol' | 'side' | 'pnl' | 'entryPrice' | 'exitPrice' | 'quantity'

export function sortTrades(trades: readonly ClosedTrade[], key: SortKey, descending: boolean): ClosedTrade[] {
  const dir = descending ? -1 : 1
  return [...trades].sort((a, b) => {
    const x = a[key]
    const y = b[key]
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))
    return c * dir || (a.exitTime - b.exitTime) * dir
  })
}

export interface TradeFilter {
  symbol?: string
  side?: string
  outcome?: 'win' | 'loss' | ''
  text?: string
}

export function filterTrades(trades: readonly ClosedTrade[], f: TradeFilter): ClosedTrade[] {
  const text = f.text?.trim().toLowerCase()
  return trades.filter(
    (t) =>
      (!f.symbol || t.symbol === f.symbol) &&
      (!f.side || t.side.toLowerCase() === f.side.toLowerCase()) &&
      (!f.outcome || (f.outcome === 'win' ? t.pnl > 0 : t.pnl < 0)) &&
      (!text || `${t.symbol} ${t.side} ${t.reason}`.toLowerCase().includes(text)),
  )
}
