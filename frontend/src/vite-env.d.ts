/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_RAILS_URL?: string
  readonly VITE_PAIRS?: string
}
interface ImportMeta {
  readonly env: ImportMetaEnv
}
