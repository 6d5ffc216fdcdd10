"""Risk analysts' pages, one module per use case: scorecards (``scorecards``) and the strategy
thresholds with a preview (``strategy``); ``access`` says who may see them."""
