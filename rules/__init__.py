"""methodlint's rules, one module each; discovered, never listed by hand."""
