"""The structure of a recipe's manifest: what a recipe builds and how it is judged.

A root recipe stores a whole manifest; a child stores only overrides, so the typed
model below validates the *resolved* manifest. Named collections (data sources,
features, actions, thresholds) are mappings keyed by name so that a child can
override or remove (`null`) one entry without restating the others.
Free-form parameters live only in the named `hyperparameters`, `parameters` and
`options` places.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from modelyard.domain.gates import Promotion
from modelyard.domain.numbers import num


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class SourceKind(StrEnum):
    table = "table"
    file = "file"
    api = "api"
    stream = "stream"


class DataSource(_Strict):
    """Where training and scoring data come from."""

    kind: SourceKind = Field(description="What the source is: table, file, api or stream.")
    uri: str = Field(
        description="Location, e.g. `warehouse.sales.transactions` or `s3://bucket/path`."
    )
    timestamp_column: str | None = Field(None, description="Column that orders rows in time.")
    refresh: str | None = Field(
        None, description="How often the source is refreshed, e.g. `daily`."
    )
    description: str | None = None


class Dtype(StrEnum):
    float = "float"
    int = "int"
    string = "string"
    bool = "bool"
    category = "category"
    datetime = "datetime"


class Feature(_Strict):
    """One model input."""

    dtype: Dtype
    source: str | None = Field(None, description="Name of a data source in `data_sources`.")
    transform: str | None = Field(None, description="Named transformation, e.g. `log1p`, `lag_7`.")
    description: str | None = None


class TargetKind(StrEnum):
    regression = "regression"
    classification = "classification"
    ranking = "ranking"


class Target(_Strict):
    """What the model predicts."""

    name: str
    dtype: Dtype
    kind: TargetKind
    source: str | None = None
    description: str | None = None


class ModelSpec(_Strict):
    """The learning algorithm and its hyperparameters."""

    algorithm: str = Field(
        description="e.g. `lightgbm`, `xgboost`, `prophet`, `logistic_regression`."
    )
    framework: str | None = None
    hyperparameters: dict[str, Any] = Field(default_factory=dict)


class SplitMethod(StrEnum):
    time = "time"
    random = "random"
    group = "group"


class Training(_Strict):
    """How a model is trained."""

    split: SplitMethod = SplitMethod.time
    test_size: float | None = Field(None, gt=0, lt=1)
    window_days: int | None = Field(None, gt=0, description="How much history to train on.")
    schedule: str | None = Field(None, description="When retraining runs, e.g. `weekly`.")
    parameters: dict[str, Any] = Field(default_factory=dict)


class Threshold(_Strict):
    """A bound on a metric: `{max: 0.2}` reads as `metric <= 0.2`."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Threshold:
        if self.min is None and self.max is None:
            raise ValueError("a threshold needs `min`, `max` or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("`min` is greater than `max`")
        return self

    def passes(self, value: float) -> bool:
        """Whether a metric's value is within the bounds (a bound is inclusive)."""
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def describe(self, metric: str) -> str:
        """The bounds as a reader sees them: `MAPE >= 0.1 and MAPE <= 0.2`, numbers as stored."""
        parts = []
        if self.min is not None:
            parts.append(f"{metric} >= {num(self.min)}")
        if self.max is not None:
            parts.append(f"{metric} <= {num(self.max)}")
        return " and ".join(parts)


class Evaluation(_Strict):
    """Metrics reported by eval and backtest runs, and the bounds a model must meet."""

    metrics: list[str] = Field(default_factory=list)
    acceptance: dict[str, Threshold] = Field(
        default_factory=dict,
        description="Acceptance thresholds by metric, e.g. `MAPE: {max: 0.2}`.",
    )


class DriftThreshold(_Strict):
    """Warn and alert levels for a drift statistic such as PSI."""

    warn: float = Field(ge=0)
    alert: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> DriftThreshold:
        if self.warn > self.alert:
            raise ValueError("`warn` is greater than `alert`")
        return self


class Freshness(_Strict):
    max_age_hours: float = Field(gt=0)


class Monitoring(_Strict):
    """What production monitoring watches."""

    performance: dict[str, Threshold] = Field(default_factory=dict)
    drift: dict[str, DriftThreshold] = Field(default_factory=dict)
    freshness: Freshness | None = None


class PricingObjective(StrEnum):
    revenue = "revenue"
    margin = "margin"
    profit = "profit"
    volume = "volume"


class PriceBounds(_Strict):
    min_ratio: float = Field(
        gt=0, description="Lowest allowed price as a ratio of the reference price."
    )
    max_ratio: float = Field(
        gt=0, description="Highest allowed price as a ratio of the reference price."
    )
    max_change_pct: float | None = Field(
        None, gt=0, description="Largest change per repricing, in percent."
    )

    @model_validator(mode="after")
    def _ordered(self) -> PriceBounds:
        if self.min_ratio > self.max_ratio:
            raise ValueError("`min_ratio` is greater than `max_ratio`")
        return self


class Pricing(_Strict):
    objective: PricingObjective
    price_bounds: PriceBounds
    elasticity_prior: float | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class Frequency(StrEnum):
    hourly = "H"
    daily = "D"
    weekly = "W"
    monthly = "M"


class Forecasting(_Strict):
    horizon: int = Field(gt=0, description="How many periods ahead to forecast.")
    frequency: Frequency
    quantiles: list[float] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)


class Action(_Strict):
    name: str
    channel: str | None = None
    cost: float | None = Field(None, ge=0)
    eligibility: str | None = None


class NextBestAction(_Strict):
    actions: dict[str, Action] = Field(description="The action catalogue, keyed by action id.")
    max_actions_per_customer: int | None = Field(None, gt=0)
    options: dict[str, Any] = Field(default_factory=dict)


class GeographyLevel(StrEnum):
    store = "store"
    postcode = "postcode"
    h3 = "h3"
    county = "county"
    region = "region"


class Geography(_Strict):
    level: GeographyLevel
    regions: list[str] = Field(default_factory=list)
    h3_resolution: int | None = Field(None, ge=0, le=15)


class LocationScoring(_Strict):
    geography: Geography
    catchment_km: float | None = Field(None, gt=0)
    options: dict[str, Any] = Field(default_factory=dict)


FAMILY_SECTIONS = ("pricing", "forecasting", "next_best_action", "location_scoring")


class Manifest(_Strict):
    """A resolved recipe manifest."""

    description: str | None = None
    data_sources: dict[str, DataSource] = Field(default_factory=dict)
    features: dict[str, Feature]
    target: Target
    model: ModelSpec
    training: Training = Field(default_factory=Training)
    evaluation: Evaluation = Field(default_factory=Evaluation)
    monitoring: Monitoring = Field(default_factory=Monitoring)
    pricing: Pricing | None = None
    forecasting: Forecasting | None = None
    next_best_action: NextBestAction | None = None
    location_scoring: LocationScoring | None = None
    promotion: Promotion | None = Field(
        None,
        description="Promotion gates by target status, on top of modelyard.yaml's "
        "(docs/promotion.md).",
    )
    parameters: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _sources_exist(self) -> Manifest:
        for name, feature in self.features.items():
            if (
                feature.source is not None
                and self.data_sources
                and feature.source not in self.data_sources
            ):
                raise ValueError(
                    f"feature {name!r} uses source {feature.source!r}, "
                    "which is not in data_sources "
                    f"({', '.join(sorted(self.data_sources))})"
                )
        return self


def check_family_section(manifest: Manifest, family: str) -> list[str]:
    """Problems with the family-specific sections: the family's own is required, others are not
    allowed."""
    problems = []
    if getattr(manifest, family) is None:
        problems.append(f"a {family} recipe needs a `{family}` section")
    for other in FAMILY_SECTIONS:
        if other != family and getattr(manifest, other) is not None:
            problems.append(f"`{other}` section is not allowed in a {family} recipe")
    return problems
