"""Origination's read queries, one module per area: products, rates and quotes; applications
(scoping, progress, timeline); turnaround figures; the underwriting workbench; contracts
(including what servicing reads before it disburses). Selectors read; they never call services."""
