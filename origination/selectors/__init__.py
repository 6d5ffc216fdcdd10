"""Origination's read queries, one module per area: products, rates and quotes (``products``);
applications, scoped to who may see them (``applications``); progress through the steps and
what is needed next (``progress``); turnaround figures (``turnaround``); the underwriting
workbench (``workbench``); contracts, including what servicing reads before it disburses
(``contracts``). Services call selectors; a selector does not call a service (``progress`` and
``contracts`` still read rules the services own, as their docstrings say)."""
