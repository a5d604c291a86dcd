/** A titled dashboard panel; `right` holds the headline figures shown in the title bar. */
import type { ReactNode } from 'react'

export function Panel({ title, right, children, className = '', testId }: { title: string; right?: ReactNode; children: ReactNode; className?: string; testId?: string }) {
  return (
    <section className={`panel ${className}`} data-testid={testId}>
      <header className="panel-head">
        <h2>{title}</h2>
        <div className="panel-right">{right}</div>
      </header>
      <div className="panel-body">{children}</div>
    </section>
  )
}

export function ErrorLine({ error }: { error: string | null }) {
  return error ? <div className="error-line">{error}</div> : null
}
