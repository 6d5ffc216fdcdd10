"""Next best offer (千人千面): a scikit-learn model trained on the response history
(`CampaignContact` ⋈ `CustomerFact`) that ranks which offer kind to show each customer.

* features.py  the one read of the history and the feature frame (training and scoring share it)
* training.py  `nbo_train`: held-out split, fit, AUC and the lift table, stored as an `NboModel`
* scoring.py   `nbo_rank` / `nbo_rank_many`, with the documented fallback order
See docs/nbo.md.
"""
