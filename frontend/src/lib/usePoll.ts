/** Poll a loader every `ms` (and on `deps` change); keeps the last good value when a call fails. */
import { useCallback, useEffect, useRef, useState } from 'react'
import { ApiError } from '../api/client'

export interface Polled<T> {
  data: T | null
  error: string | null
  status: number | null
  at: number | null // Date.now() of the last successful load
  reload: () => void
}

export function usePoll<T>(load: () => Promise<T>, ms: number | null, deps: readonly unknown[] = []): Polled<T> {
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [status, setStatus] = useState<number | null>(null)
  const [at, setAt] = useState<number | null>(null)
  const loadRef = useRef(load)
  loadRef.current = load
  const [tick, setTick] = useState(0)
  const reload = useCallback(() => setTick((t) => t + 1), [])

  useEffect(() => {
    let alive = true
    const run = () =>
      loadRef.current().then(
        (d) => {
          if (!alive) return
          setData(d)
          setAt(Date.now())
          setError(null)
          setStatus(200)
        },
        (e: unknown) => {
          if (!alive) return
          setError(e instanceof ApiError ? `${e.status || 'network'}: ${e.message}` : String(e))
          setStatus(e instanceof ApiError ? e.status : null)
        },
      )
    void run()
    const id = ms ? setInterval(run, ms) : undefined
    return () => {
      alive = false
      if (id) clearInterval(id)
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ms, tick, ...deps])

  return { data, error, status, at, reload }
}
