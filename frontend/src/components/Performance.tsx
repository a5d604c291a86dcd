/** Performance: equity curve, daily/weekly/monthly realised P&L, Sharpe and max drawdown. */
import { useState } from 'react'
import { EquityChart } from './EquityChart'
import { maxDrawdown, pnlByPeriod, sharpe, type ClosedTrade, type EquityPoint, type Period } from '../lib/stats'
import { money, pct, ratio, tone } from '../lib/format'

export function Performance({ curve, trades }: { curve: EquityPoint[]; trades: ClosedTrade[] }) {
  const [period, setPeriod] = useState<Period>('day')
  const rows = pnlByPeriod(trades, period).slice(-12).reverse()
  const sh = sharpe(curve)
  const dd = maxDrawdown(curve)
  const last = curve[curve.length - 1]?.equity ?? null
  const first = curve[0]?.equity ?? null
  return (
    <div className="perf" data-testid="performance">
      <div className="kvs">
        <span className="kv">Equity <b className="mono">{money(last)}</b></span>
        <span className="kv">Return <b className={`mono ${tone(last !== null && first ? last - first : null)}`}>{first && last !== null ? pct(last / first - 1) : '—'}</b></span>
        <span className="kv">Sharpe <b className="mono" data-testid="sharpe">{ratio(sh)}</b></span>
        <span className="kv">Max DD <b className="mono down" data-testid="max-dd">{pct(-dd, false)}</b></span>
      </div>
      {curve.length > 1 ? <EquityChart points={curve} /> : <div className="empty">Equity curve appears after the first equity updates</div>}
      <div className="toolbar">
        {(['day', 'week', 'month'] as Period[]).map((p) => (
          <button key={p} className={`tab ${p === period ? 'active' : ''}`} onClick={() => setPeriod(p)}>
            {p === 'day' ? 'Daily' : p === 'week' ? 'Weekly' : 'Monthly'}
          </button>
        ))}
      </div>
      <table className="grid compact">
        <tbody>
          {rows.map((r) => (
            <tr key={r.period}>
              <td className="mono">{r.period}</td>
              <td className="num muted">{r.trades} trades</td>
              <td className={`num mono ${tone(r.pnl)}`}>{money(r.pnl, true)}</td>
            </tr>
          ))}
          {!rows.length && (
            <tr>
              <td className="empty">No realised P&amp;L yet</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  )
}
