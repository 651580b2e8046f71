"""The language server (`methodlint server`): editors' buffers and notebooks checked as they are
typed. `analysis` lints one buffer in this process; `server` speaks LSP (pygls, the `server`
extra)."""
