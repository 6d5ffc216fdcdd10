"""Read queries of risk, one module per area: decisions (for origination's pages), anti-fraud
hits (for the nightly batch), scorecards (for the analysts' pages)."""
