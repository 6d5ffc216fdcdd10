"""Dealer deposits (保证金): called by grade, received, held on `dealer_deposit` on the dealer's
sub-ledger, and refunded maker-checked to the dealer's verified settlement account."""
