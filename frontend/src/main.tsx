import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import './hooks'
import './styles.css'
import { App } from './App'
import { prefetchCandles } from './api/client'
import { DEFAULT_INTERVAL, DEFAULT_SYMBOL, FIRST_BARS } from './config'

prefetchCandles(DEFAULT_SYMBOL, DEFAULT_INTERVAL, FIRST_BARS)

const t0 = performance.now()
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
;(window as unknown as { __tbBoot: number }).__tbBoot = t0
