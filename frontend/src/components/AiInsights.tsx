/** AI insights: current signal (live `signal` events, else GET /signals), its components and reasons, sentiment. */
import type { SignalOut } from '../api/client'
import type { SentimentView } from '../api/normalise'
import { ratio } from '../lib/format'

export interface SignalView {
  explanation: string
  ensemble: { name: string; value: number | null; share: number; note: string }[]
  action: string
  strategy: string
  score: number | null
  reasons: string[]
  components: { name: string; value: string }[]
  asOf: string
  explanationAsOf: string | null // the polled signal's bar close the explanation is about
  source: 'live' | 'api'
}

export function fromApi(s: SignalOut): SignalView {
  return {
    explanation: s.ensemble?.summary ?? s.explanation ?? '',
    ensemble: (s.ensemble?.parts ?? []).map((p) => ({ name: p.name, value: p.value, share: p.share, note: p.note })),
    action: s.action,
    strategy: s.strategy,
    score: s.score ?? null,
    reasons: s.reasons,
    components: s.components.map((c) => ({ name: c.name, value: `${c.value === null ? '—' : ratio(c.value)} (w ${ratio(c.weight)}, vote ${c.vote === null ? '—' : ratio(c.vote)})` })),
    asOf: s.as_of,
    explanationAsOf: s.as_of,
    source: 'api',
  }
}

/** A live signal event; the explanation and ensemble come from the last polled signal (events carry neither). */
export function fromEvent(e: { ts: string; action: string; strategy: string; score: number | null; reasons: string[]; components: Record<string, unknown> }, polled: SignalView | null): SignalView {
  return {
    explanation: polled?.explanation ?? '',
    ensemble: polled?.ensemble ?? [],
    action: e.action,
    strategy: e.strategy,
    score: e.score,
    reasons: e.reasons,
    components: Object.entries(e.components).map(([name, v]) => ({ name, value: typeof v === 'number' ? ratio(v) : JSON.stringify(v) })),
    asOf: e.ts,
    explanationAsOf: polled?.asOf ?? null,
    source: 'live',
  }
}

export function AiInsights({ signal, sentiment, risk, error }: { signal: SignalView | null; sentiment: SentimentView | null; risk: string; error: string | null }) {
  return (
    <div className="insights" data-testid="ai-insights">
      {signal ? (
        <>
          <div className="kvs">
            <span className="kv">
              Signal <b className={`badge action-${signal.action}`} data-testid="signal-action">{signal.action}</b>
            </span>
            <span className="kv">Strategy <b>{signal.strategy}</b></span>
            <span className="kv">Score <b className="mono">{signal.score === null ? '—' : ratio(signal.score, 1)}</b></span>
            <span className="kv muted">{signal.source === 'live' ? 'live' : 'latest bar'} · {signal.asOf}</span>
          </div>
          {signal.explanation && (
            <p className="explanation" data-testid="signal-explanation">
              {signal.explanation}
              {signal.explanationAsOf && Date.parse(signal.explanationAsOf) !== Date.parse(signal.asOf) && <span className="muted" data-testid="explanation-as-of"> (as of {signal.explanationAsOf})</span>}
            </p>
          )}
          {signal.ensemble.length > 0 && (
            <table className="grid compact" data-testid="ensemble">
              <tbody>
                {signal.ensemble.map((p) => (
                  <tr key={p.name} title={p.note}>
                    <td>{p.name}</td>
                    <td className={`num mono ${p.value === null ? '' : p.value > 0 ? 'up' : p.value < 0 ? 'down' : ''}`}>{p.value === null ? '—' : ratio(p.value)}</td>
                    <td className="num mono muted">{(p.share * 100).toFixed(0)}%</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {signal.reasons.length > 0 && (
            <ul className="reasons">
              {signal.reasons.slice(0, 6).map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          )}
          {signal.components.length > 0 && (
            <table className="grid compact">
              <tbody>
                {signal.components.map((c) => (
                  <tr key={c.name}>
                    <td>{c.name}</td>
                    <td className="num mono">{c.value}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      ) : (
        <div className="empty">{error ?? 'No signal yet'}</div>
      )}
      <div className="kvs">
        <span className="kv">
          Sentiment{' '}
          <b data-testid="sentiment">
            {sentiment && sentiment.score === null && sentiment.reason ? `— (${sentiment.reason})` : sentiment ? `${sentiment.label || (sentiment.score === null ? '—' : sentiment.score > 0.1 ? 'Bullish' : sentiment.score < -0.1 ? 'Bearish' : 'Neutral')} ${sentiment.score === null ? '' : `(${ratio(sentiment.score)})`}` : '—'}
          </b>
        </span>
        <span className="kv">Risk <b>{risk}</b></span>
      </div>
      {sentiment && sentiment.headlines.length > 0 && (
        <ul className="reasons muted">
          {sentiment.headlines.map((h) => (
            <li key={h}>{h}</li>
          ))}
        </ul>
      )}
    </div>
  )
}
