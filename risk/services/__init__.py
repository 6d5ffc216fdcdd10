"""Risk's write use cases. Other apps call these (and risk.selectors), nothing else of risk."""

from risk.services.bureau import POST_LOAN, BureauConsentMissing, bureau_query
from risk.services.customer_rating import customer_risk_rate
from risk.services.decisions.evaluate import decision_evaluate
from risk.services.decisions.make import DecisionError, decision_make
from risk.services.decisions.replay import ReplayResult, decision_replay
from risk.services.decisions.review import decision_review_request
from risk.services.early_warning import early_warning_evaluate, early_warning_rules_ensure
from risk.services.preapproval import (
    PreapprovalError,
    preapproval_decide,
    preapproval_decide_many,
    preapproval_prefilter_sql,
    preapproval_replay,
)
from risk.services.rulesets import rule_set_activate, rule_set_clone, rule_set_default_ensure
from risk.services.scorecards import (
    ScorecardServiceError,
    scorecard_challenger_set,
    scorecard_promote,
    scorecard_version_train,
)
from risk.services.screening import screening_run
from risk.services.screening_decide import screening_hit_decide
from risk.services.strategy import StrategyError, strategy_preview, strategy_update

__all__ = [
    "POST_LOAN",
    "BureauConsentMissing",
    "DecisionError",
    "PreapprovalError",
    "ReplayResult",
    "ScorecardServiceError",
    "StrategyError",
    "bureau_query",
    "customer_risk_rate",
    "decision_evaluate",
    "decision_make",
    "decision_replay",
    "decision_review_request",
    "early_warning_evaluate",
    "early_warning_rules_ensure",
    "preapproval_decide",
    "preapproval_decide_many",
    "preapproval_prefilter_sql",
    "preapproval_replay",
    "rule_set_activate",
    "rule_set_clone",
    "rule_set_default_ensure",
    "scorecard_challenger_set",
    "scorecard_promote",
    "scorecard_version_train",
    "screening_hit_decide",
    "screening_run",
    "strategy_preview",
    "strategy_update",
]
