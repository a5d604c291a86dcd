/** Order book (top 20 from `book` events) with cumulative depth bars and the spread. */
import type { BookData } from '../api/events'
import { price, qty } from '../lib/format'

function levels(side: [string, string][], n: number): { p: number; q: number; cum: number }[] {
  let cum = 0
  return side.slice(0, n).map(([p, q]) => {
    cum += Number(q)
    return { p: Number(p), q: Number(q), cum }
  })
}

export function OrderBook({ book }: { book: (BookData & { ts: string }) | undefined }) {
  if (!book) return <div className="empty">Waiting for order book events…</div>
  const asks = levels(book.asks, 12)
  const bids = levels(book.bids, 12)
  const max = Math.max(asks[asks.length - 1]?.cum ?? 0, bids[bids.length - 1]?.cum ?? 0) || 1
  const bestAsk = asks[0]?.p
  const bestBid = bids[0]?.p
  const spread = bestAsk !== undefined && bestBid !== undefined ? bestAsk - bestBid : null
  return (
    <div className="book" data-testid="order-book">
      <div className="book-head mono muted">
        <span>Price</span>
        <span>Size</span>
        <span>Total</span>
      </div>
      {[...asks].reverse().map((l) => (
        <div className="book-row ask mono" key={`a${l.p}`}>
          <i style={{ width: `${(l.cum / max) * 100}%` }} />
          <span className="down">{price(l.p)}</span>
          <span>{qty(l.q)}</span>
          <span>{qty(l.cum)}</span>
        </div>
      ))}
      <div className="book-spread mono">
        Spread {price(spread)} {spread !== null && bestBid ? `(${((spread / bestBid) * 1e4).toFixed(1)} bp)` : ''}
      </div>
      {bids.map((l) => (
        <div className="book-row bid mono" key={`b${l.p}`}>
          <i style={{ width: `${(l.cum / max) * 100}%` }} />
          <span className="up">{price(l.p)}</span>
          <span>{qty(l.q)}</span>
          <span>{qty(l.cum)}</span>
        </div>
      ))}
    </div>
  )
}
