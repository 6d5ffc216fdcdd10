"""Application scorecards in plain Python (pandas, numpy, scikit-learn, matplotlib): no Django.

* ``binning``  — supervised, monotonic binning with a bin for missing values; WoE and IV.
* ``train``    — variable selection, logistic regression, points scaling, the artefact and report.
* ``scoring``  — scoring one record from an artefact (a plain JSON-able dict, never a pickle).
* ``metrics``  — AUC, KS, Gini and PSI.
* ``plots``    — ROC, KS and score-histogram PNGs (matplotlib, Agg backend).
* ``synth``    — a synthetic auto-loan data set with realistic relations to default.
"""

from risk.scorecard.metrics import auc, gini, ks, psi, psi_alert
from risk.scorecard.scoring import CompiledScorecard, compile_artefact, score_record
from risk.scorecard.train import ScorecardError, TrainResult, train_scorecard

__all__ = [
    "CompiledScorecard",
    "ScorecardError",
    "TrainResult",
    "auc",
    "compile_artefact",
    "gini",
    "ks",
    "psi",
    "psi_alert",
    "score_record",
    "train_scorecard",
]
