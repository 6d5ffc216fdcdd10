"""OEM interest subsidies (厂商贴息): deferral at funding, the end of a subsidy when its loan ends
early, the monthly claims to the carmakers, their disputes and receipts."""
