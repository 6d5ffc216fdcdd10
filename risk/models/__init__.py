"""Risk: scorecards, rule sets, anti-fraud store, decisions and early warning.

Risk imports no other app: what it knows of an application, a dealer or a loan arrives as a
facts dict (see risk.facts) and is kept here as given.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from risk.rules import RULES


class ProductLine(models.TextChoices):
    NEW = "new", _("新车")
    USED = "used", _("二手车")
    NEV = "nev", _("新能源车")
    COMMERCIAL = "commercial", _("商用车")


class ContractType(models.TextChoices):
    LOAN = "loan", _("贷款")
    DIRECT_LEASE = "direct_lease", _("直租")
    SALE_LEASEBACK = "sale_leaseback", _("售后回租")


class Scorecard(models.Model):
    """A scorecard for one product line (and optionally one contract type); its versions are the
    trained models, one of which is the champion."""

    name = models.CharField(_("名称"), max_length=100)
    product_line = models.CharField(_("产品线"), max_length=20, choices=ProductLine.choices)
    contract_type = models.CharField(
        _("合同类型"), max_length=20, choices=ContractType.choices, blank=True
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评分卡")
        verbose_name_plural = _("评分卡")
        ordering = ["product_line", "contract_type", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product_line", "contract_type"], name="risk_scorecard_one_per_segment"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def champion(self) -> ScorecardVersion | None:
        return self.versions.filter(status=ScorecardVersion.Status.CHAMPION).first()


class ScorecardVersion(models.Model):
    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("候选")
        CHAMPION = "champion", _("冠军")
        CHALLENGER = "challenger", _("挑战者")
        RETIRED = "retired", _("已退役")

    scorecard = models.ForeignKey(
        Scorecard, verbose_name=_("评分卡"), on_delete=models.PROTECT, related_name="versions"
    )
    version = models.PositiveIntegerField(_("版本"))
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.CANDIDATE
    )
    # Share of applications (0..1) also scored by this version in shadow while it is a challenger.
    challenger_share = models.DecimalField(
        _("挑战者流量占比"), max_digits=5, decimal_places=4, default=0
    )
    artefact = models.JSONField(_("模型参数"))
    report = models.JSONField(_("模型报告"), default=dict)
    test_auc = models.FloatField(_("验证集 AUC"), null=True)
    source = models.CharField(_("训练数据"), max_length=300, blank=True)
    trained_by = models.CharField(_("训练人"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评分卡版本")
        verbose_name_plural = _("评分卡版本")
        ordering = ["scorecard_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "version"], name="risk_scorecard_version_unique"
            ),
            models.UniqueConstraint(
                fields=["scorecard"],
                condition=Q(status="champion"),
                name="risk_scorecard_one_champion",
            ),
            models.CheckConstraint(
                condition=Q(challenger_share__gte=0, challenger_share__lte=1),
                name="risk_challenger_share_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scorecard.name} v{self.version}"


class ScorecardPlot(models.Model):
    """A report figure (PNG) kept in the database and served only through a permission check."""

    version = models.ForeignKey(ScorecardVersion, on_delete=models.CASCADE, related_name="plots")
    kind = models.CharField(_("图表"), max_length=20)
    png = models.BinaryField(_("图片"))

    class Meta:
        verbose_name = _("模型图表")
        verbose_name_plural = _("模型图表")
        constraints = [models.UniqueConstraint(fields=["version", "kind"], name="risk_plot_unique")]

    def __str__(self) -> str:
        return f"{self.version_id}: {self.kind}"


class ScoreRecord(models.Model):
    """One application scored by one scorecard version (champion, or challenger in shadow)."""

    class Role(models.TextChoices):
        CHAMPION = "champion", _("冠军")
        CHALLENGER = "challenger", _("挑战者")

    version = models.ForeignKey(
        ScorecardVersion, on_delete=models.PROTECT, related_name="score_records"
    )
    product_line = models.CharField(_("产品线"), max_length=20, choices=ProductLine.choices)
    application_ref = models.CharField(_("申请编号"), max_length=64, db_index=True)
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    score = models.IntegerField(_("评分"))
    bins = models.JSONField(_("分箱"), default=dict)
    scored_at = models.DateTimeField(_("评分时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("评分记录")
        verbose_name_plural = _("评分记录")
        indexes = [models.Index(fields=["version", "scored_at"])]

    def __str__(self) -> str:
        return f"{self.application_ref}: {self.score}"


class RuleSet(models.Model):
    """A version of the decision rules; exactly one is active."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    name = models.CharField(_("名称"), max_length=100)
    is_active = models.BooleanField(_("生效中"), default=False)
    notes = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("规则集")
        verbose_name_plural = _("规则集")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="risk_one_active_ruleset"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.name}"


class Rule(models.Model):
    class Kind(models.TextChoices):
        DECLINE = "decline", _("强规则（拒绝）")
        REFER = "refer", _("弱规则（转人工）")

    rule_set = models.ForeignKey(
        RuleSet, verbose_name=_("规则集"), on_delete=models.CASCADE, related_name="rules"
    )
    code = models.CharField(_("规则代码"), max_length=40)
    rule_kind = models.CharField(_("规则类型"), max_length=10, choices=Kind.choices)
    reason_code = models.CharField(_("原因码"), max_length=40)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    explanation = models.CharField(_("客户说明"), max_length=300)
    position = models.PositiveIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("规则")
        verbose_name_plural = _("规则")
        ordering = ["rule_set", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "code"], name="risk_rule_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.rule_kind})"

    def clean(self):
        if self.code not in RULES:
            raise ValidationError({"code": _("未注册的规则代码：%(code)s") % {"code": self.code}})


class BlacklistEntry(models.Model):
    class Kind(models.TextChoices):
        ID_NUMBER = "id_number", _("身份证号")
        PHONE = "phone", _("手机号")
        BANK_ACCOUNT = "bank_account", _("银行账户")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    value_hash = models.CharField(_("哈希值"), max_length=64)
    reason = models.CharField(_("原因"), max_length=200)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("黑名单")
        verbose_name_plural = _("黑名单")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value_hash"], name="risk_blacklist_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.value_hash[:12]}"


class Strategy(models.Model):
    """Score cut-offs per product line: tiers and the auto-approve / decline thresholds."""

    product_line = models.CharField(
        _("产品线"), max_length=20, choices=ProductLine.choices, unique=True
    )
    approve_above = models.IntegerField(_("自动通过分数线"))
    decline_below = models.IntegerField(_("拒绝分数线"))
    # {"A": 620, "B": 580, "C": 540}: score >= A's cut-off is tier A, ... below C's is D.
    tier_cutoffs = models.JSONField(_("分层分数线"), default=dict)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("审批策略")
        verbose_name_plural = _("审批策略")
        constraints = [
            models.CheckConstraint(
                condition=Q(approve_above__gte=models.F("decline_below")),
                name="risk_strategy_thresholds_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_product_line_display()}: ≥{self.approve_above} / <{self.decline_below}"


class SeenFact(models.Model):
    """Risk's own memory of identifiers seen on applications, for cross-book anti-fraud checks.

    Only keyed hashes (autofin.crypto.keyed_hash) are stored, never the values."""

    class Kind(models.TextChoices):
        ID_NUMBER = "id_number", _("身份证号")
        PHONE = "phone", _("手机号")
        BANK_ACCOUNT = "bank_account", _("银行账户")
        VIN = "vin", _("车架号")
        DOCUMENT = "document", _("文件")
        # a document image's perceptual hash (16 hex digits): near-duplicates differ by a few bits
        DOCUMENT_PHASH = "document_phash", _("图像指纹")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    value_hash = models.CharField(_("哈希值"), max_length=64)
    id_hash = models.CharField(_("申请人身份证哈希"), max_length=64, blank=True)
    application_ref = models.CharField(_("申请编号"), max_length=64)
    dealer_id = models.BigIntegerField(_("经销商"), null=True, blank=True)
    salesperson_id = models.BigIntegerField(_("销售顾问"), null=True, blank=True)
    seen_at = models.DateTimeField(_("时间"), db_index=True)

    class Meta:
        verbose_name = _("已见信息")
        verbose_name_plural = _("已见信息")
        indexes = [
            models.Index(fields=["kind", "value_hash", "seen_at"]),
            models.Index(fields=["salesperson_id", "seen_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value_hash", "application_ref"], name="risk_seenfact_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.application_ref}"


class FraudHit(models.Model):
    application_ref = models.CharField(_("申请编号"), max_length=64, db_index=True)
    check_code = models.CharField(_("检查项"), max_length=40)
    dealer_id = models.BigIntegerField(_("经销商"), null=True, blank=True, db_index=True)
    evidence = models.JSONField(_("证据"), default=dict, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("反欺诈命中")
        verbose_name_plural = _("反欺诈命中")
        constraints = [
            models.UniqueConstraint(
                fields=["application_ref", "check_code"], name="risk_fraudhit_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_ref}: {self.check_code}"


class Decision(models.Model):
    class Outcome(models.TextChoices):
        APPROVE = "approve", _("批准")
        COUNTER_OFFER = "counter_offer", _("调整方案后批准")
        REFER = "refer", _("转人工审批")
        DECLINE = "decline", _("拒绝")

    application_ref = models.CharField(_("申请编号"), max_length=64, db_index=True)
    idempotency_key = models.CharField(
        _("幂等键"), max_length=100, null=True, blank=True, unique=True
    )
    rule_set = models.ForeignKey(RuleSet, verbose_name=_("规则集"), on_delete=models.PROTECT)
    scorecard_version = models.ForeignKey(
        ScorecardVersion,
        verbose_name=_("评分卡版本"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    facts = models.JSONField(_("输入事实"), encoder=DjangoJSONEncoder)
    # Everything else the decision was computed from: adapter answers, fraud hits, strategy.
    inputs = models.JSONField(_("外部数据"), encoder=DjangoJSONEncoder, default=dict)
    score = models.IntegerField(_("评分"), null=True, blank=True)
    tier = models.CharField(_("客群分层"), max_length=1, blank=True)
    outcome = models.CharField(_("结论"), max_length=20, choices=Outcome.choices)
    reasons = models.JSONField(_("原因"), default=list)
    conditions = models.JSONField(_("附加条件"), default=list)
    offer = models.JSONField(_("方案"), default=dict, encoder=DjangoJSONEncoder)
    annual_rate = models.DecimalField(
        _("年利率"), max_digits=8, decimal_places=6, null=True, blank=True
    )
    suggested_limit = models.DecimalField(
        _("建议额度"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("审批决策")
        verbose_name_plural = _("审批决策")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application_ref", "rule_set"], name="risk_decision_once_per_ruleset"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_ref}: {self.outcome}"

    @property
    def reason_codes(self) -> list[str]:
        return [r["code"] for r in self.reasons]


class DecisionReviewRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        CLOSED = "closed", _("已处理")

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="review_requests")
    reason = models.TextField(_("申请理由"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default="open")
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("人工复核申请")
        verbose_name_plural = _("人工复核申请")

    def __str__(self) -> str:
        return f"{self.decision_id}: {self.status}"


class EarlyWarningRule(models.Model):
    class Strength(models.TextChoices):
        STRONG = "strong", _("强预警")
        WEAK = "weak", _("弱预警")

    code = models.CharField(_("规则代码"), max_length=40, unique=True)
    strength = models.CharField(_("强度"), max_length=10, choices=Strength.choices)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    description = models.CharField(_("说明"), max_length=200)
    # the suggested actions a hit opens: [{"action", "owner" (a role), "days" (due after)}]
    actions = models.JSONField(_("建议措施"), default=list, blank=True)

    class Meta:
        verbose_name = _("预警规则")
        verbose_name_plural = _("预警规则")
        ordering = ["strength", "code"]

    def __str__(self) -> str:
        return self.code


class EarlyWarningHit(models.Model):
    loan_ref = models.CharField(_("贷款编号"), max_length=64, db_index=True)
    rule_code = models.CharField(_("规则代码"), max_length=40)
    strength = models.CharField(_("强度"), max_length=10, choices=EarlyWarningRule.Strength.choices)
    evidence = models.JSONField(_("证据"), default=dict, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("贷中预警")
        verbose_name_plural = _("贷中预警")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.loan_ref}: {self.rule_code}"


# The credit-bureau query log (征信查询记录), in its own module.
# Anti-money laundering (watch lists, screening hits, customer risk ratings), in its own module.
from risk.models.aml import (  # noqa: E402,F401
    CustomerRiskRating,
    RiskLevel,
    ScreeningHit,
    ScreeningSubject,
    WatchListEntry,
    WatchListLoad,
    WatchListType,
)
from risk.models.bureau import BureauQuery  # noqa: E402,F401
