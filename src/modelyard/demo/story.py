"""The demo's story: Northwind's data science team over eight weeks.

Four baselines, industry variants for grocery, retail and telco, client recipes for
FreshMart and Northwind's own stores; models that reach production, a challenger in
staging, a retired one and a draft; runs that succeed, fail, and are still going; and
monitoring in which FreshMart's pricing model slowly drifts until it raises an alert.
"""

from __future__ import annotations

from typing import Any, Protocol

from modelyard.demo import manifests as m
from modelyard.domain.resolve import set_value

PRIYA = "Priya Natarajan <priya@northwind.example>"
MEI = "Mei Chen <mei@northwind.example>"
TOMAS = "Tomás Ortega <tomas@northwind.example>"
AISHA = "Aisha Bello <aisha@northwind.example>"
BOT = "trainer-bot <ml-platform@northwind.example>"


class Runner(Protocol):
    def at(self, day: float, hour: int = 9, minute: int = 0) -> None: ...
    def file(self, data: Any) -> str: ...
    def __call__(self, *args: str) -> Any: ...


class Story:
    def __init__(self, run: Runner) -> None:
        self.run = run
        self.manifests: dict[str, dict[str, Any]] = {}

    # -- helpers ---------------------------------------------------------------------------
    def recipe(
        self,
        day: float,
        who: str,
        rid: str,
        name: str,
        family: str,
        level: str,
        tags: list[str],
        manifest: dict[str, Any] | None = None,
        parent: str | None = None,
        description: str | None = None,
        note: str | None = None,
    ) -> None:
        self.run.at(day, 10)
        args = [
            "recipes",
            "create",
            "--id",
            rid,
            "--name",
            name,
            "--model-family",
            family,
            "--level",
            level,
            "--created-by",
            who,
        ]
        for tag in tags:
            args += ["--tag", tag]
        if parent:
            args += ["--parent-id", parent]
        if manifest is not None:
            args += ["--manifest", self.run.file(manifest)]
        if description:
            args += ["--description", description]
        if note:
            args += ["--change-note", note]
        self.run(*args)
        self.manifests[rid] = self.resolved(rid)

    def resolved(self, rid: str) -> dict[str, Any]:
        return self.run("recipes", "get", rid, "--manifest")["manifest"]

    def version(
        self,
        day: float,
        who: str,
        rid: str,
        note: str,
        changes: dict[str, Any],
        parent_version: str | None = None,
    ) -> str:
        self.run.at(day, 14, 30)
        manifest = self.resolved(rid)
        for path, value in changes.items():
            manifest = set_value(manifest, path, value)
        args = [
            "versions",
            "create",
            rid,
            "--manifest",
            self.run.file(manifest),
            "--change-note",
            note,
            "--created-by",
            who,
        ]
        if parent_version:
            args += ["--parent-version", parent_version]
        version: str = self.run(*args)["version_id"]
        return version

    def status(self, day: float, who: str, rid: str, status: str) -> None:
        self.run.at(day, 16)
        self.run("recipes", "update", rid, "--status", status, "--updated-by", who)

    def model(
        self, day: float, mid: str, name: str, rid: str, version: str, owner: str, description: str
    ) -> None:
        self.run.at(day, 11)
        self.run(
            "models",
            "register",
            "--id",
            mid,
            "--name",
            name,
            "--recipe-id",
            rid,
            "--recipe-version-id",
            version,
            "--owner",
            owner,
            "--description",
            description,
        )

    def promote(self, day: float, mid: str, status: str, who: str) -> None:
        self.run.at(day, 15)
        self.run("models", "update", mid, "--status", status, "--updated-by", who)

    def job(
        self,
        day: float,
        rid: str,
        version: str,
        run_type: str,
        model: str | None,
        outcome: str,
        metrics: dict[str, float] | None = None,
        logs: str = "",
        minutes: int = 20,
        artifacts: dict[str, str] | None = None,
    ) -> str:
        """Queue a run, start it, and (unless it is still going) finish it."""
        self.run.at(day, 6)
        args = [
            "runs",
            "create",
            "--recipe-id",
            rid,
            "--recipe-version-id",
            version,
            "--run-type",
            run_type,
            "--created-by",
            BOT,
        ]
        if model:
            args += ["--model-id", model]
        run_id: str = self.run(*args)["id"]
        if outcome == "queued":
            return run_id
        self.run.at(day, 6, 2)
        self.run("runs", "update", run_id, "--status", "running", "--updated-by", BOT)
        if outcome == "running":
            return run_id
        self.run.at(day, 6, 2 + minutes)
        body: dict[str, Any] = {"status": outcome, "logs_text": logs}
        if metrics:
            body["metrics_json"] = metrics
        if artifacts:
            body["artifacts_json"] = artifacts
        self.run("runs", "update", run_id, "--body", self.run.file(body), "--updated-by", BOT)
        return run_id

    def snapshot(
        self,
        day: float,
        mid: str,
        perf: dict[str, float],
        drift: dict[str, float],
        hours_old: float,
        alerts: dict[str, Any] | None = None,
    ) -> None:
        self.run.at(day, 7)
        from datetime import datetime, timedelta

        captured = datetime.fromisoformat(__import__("os").environ["GIT_AUTHOR_DATE"])
        body = {
            "model_id": mid,
            "performance_metrics_json": perf,
            "drift_metrics_json": drift,
            "data_freshness_json": {
                "last_update": (captured - timedelta(hours=hours_old)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                ),
                "age_hours": hours_old,
            },
            "alerts_json": alerts or {},
        }
        self.run("monitoring", "create", mid, "--body", self.run.file(body), "--created-by", BOT)

    def synthetic(
        self,
        day: float,
        who: str,
        rid: str,
        columns: dict[str, str],
        rows: list[dict[str, Any]],
        example_run: dict[str, Any],
    ) -> None:
        self.run.at(day, 17)
        body = {
            "recipe_id": rid,
            "dataset_schema_json": {"columns": columns, "primary_key": list(columns)[:1]},
            "sample_rows_json": rows,
            "example_run_json": example_run,
        }
        self.run("synthetic", "create", rid, "--body", self.run.file(body), "--created-by", who)

    # -- the story -------------------------------------------------------------------------
    def tell(self) -> None:
        self.baselines()
        self.variants()
        self.pricing_in_production()
        self.forecasting_in_production()
        self.later_weeks()

    def baselines(self) -> None:
        self.recipe(
            0,
            PRIYA,
            "recipe_pricing_base",
            "Pricing Baseline",
            "pricing",
            "baseline",
            ["baseline", "optimization", "elasticity"],
            m.PRICING,
            description="Price elasticity baseline every pricing recipe starts from.",
            note="Initial version: LightGBM demand model with price bounds",
        )
        self.recipe(
            1,
            MEI,
            "recipe_forecasting_base",
            "Demand Forecasting Baseline",
            "forecasting",
            "baseline",
            ["baseline", "time-series"],
            m.FORECASTING,
            description="Daily demand forecast with uncertainty bands.",
            note="Initial version: Prophet with weekly and yearly seasonality",
        )
        self.recipe(
            2,
            TOMAS,
            "recipe_nba_base",
            "Next Best Action Baseline",
            "next_best_action",
            "baseline",
            ["baseline", "ranking", "crm"],
            m.NEXT_BEST_ACTION,
            description="Learning-to-rank over a small action catalogue.",
            note="Initial version: XGBoost ranker over three actions",
        )
        self.recipe(
            3,
            AISHA,
            "recipe_location_base",
            "Location Scoring Baseline",
            "location_scoring",
            "baseline",
            ["baseline", "geo"],
            m.LOCATION_SCORING,
            description="Ranks candidate sites by expected first-year revenue.",
            note="Initial version: random forest on census and footfall",
        )
        self.synthetic(
            3,
            PRIYA,
            "recipe_pricing_base",
            {
                "sku": "string",
                "sold_at": "datetime",
                "base_price": "float",
                "discount_pct": "float",
                "units_sold": "float",
            },
            [
                {
                    "sku": "SKU-1042",
                    "sold_at": "2026-03-02",
                    "base_price": 3.49,
                    "discount_pct": 0.0,
                    "units_sold": 118,
                },
                {
                    "sku": "SKU-1042",
                    "sold_at": "2026-03-03",
                    "base_price": 3.49,
                    "discount_pct": 0.1,
                    "units_sold": 151,
                },
                {
                    "sku": "SKU-2210",
                    "sold_at": "2026-03-02",
                    "base_price": 12.99,
                    "discount_pct": 0.0,
                    "units_sold": 23,
                },
                {
                    "sku": "SKU-2210",
                    "sold_at": "2026-03-03",
                    "base_price": 11.99,
                    "discount_pct": 0.0,
                    "units_sold": 31,
                },
            ],
            {"run_type": "train", "rows": 4, "metrics_json": {"MAPE": 0.11, "revenue_lift": 0.036}},
        )
        self.synthetic(
            3,
            MEI,
            "recipe_forecasting_base",
            {
                "store": "string",
                "sku": "string",
                "day": "datetime",
                "units": "float",
                "holiday": "bool",
            },
            [
                {
                    "store": "S01",
                    "sku": "SKU-1042",
                    "day": "2026-03-01",
                    "units": 40,
                    "holiday": False,
                },
                {
                    "store": "S01",
                    "sku": "SKU-1042",
                    "day": "2026-03-02",
                    "units": 44,
                    "holiday": False,
                },
                {
                    "store": "S02",
                    "sku": "SKU-1042",
                    "day": "2026-03-01",
                    "units": 17,
                    "holiday": True,
                },
            ],
            {"run_type": "backtest", "horizon": 28, "metrics_json": {"MAPE": 0.16, "WAPE": 0.12}},
        )
        self.synthetic(
            3,
            TOMAS,
            "recipe_nba_base",
            {
                "customer_id": "string",
                "tenure_days": "int",
                "monthly_spend": "float",
                "action": "string",
                "accepted_offer": "bool",
            },
            [
                {
                    "customer_id": "C-88231",
                    "tenure_days": 412,
                    "monthly_spend": 39.0,
                    "action": "upgrade_plan",
                    "accepted_offer": True,
                },
                {
                    "customer_id": "C-10420",
                    "tenure_days": 35,
                    "monthly_spend": 15.0,
                    "action": "discount_10",
                    "accepted_offer": False,
                },
                {
                    "customer_id": "C-55012",
                    "tenure_days": 1290,
                    "monthly_spend": 64.5,
                    "action": "callback",
                    "accepted_offer": False,
                },
            ],
            {"run_type": "eval", "metrics_json": {"ndcg_at_3": 0.41, "uplift": 0.018}},
        )
        self.synthetic(
            4,
            AISHA,
            "recipe_location_base",
            {
                "postcode": "string",
                "population_5km": "float",
                "median_income": "float",
                "competitor_count_2km": "int",
                "first_year_revenue": "float",
            },
            [
                {
                    "postcode": "LS1 4AP",
                    "population_5km": 182000,
                    "median_income": 31200,
                    "competitor_count_2km": 4,
                    "first_year_revenue": 2.1e6,
                },
                {
                    "postcode": "B15 2TT",
                    "population_5km": 240500,
                    "median_income": 28900,
                    "competitor_count_2km": 7,
                    "first_year_revenue": 1.7e6,
                },
            ],
            {"run_type": "backtest", "metrics_json": {"R2": 0.64, "MAPE": 0.27}},
        )
        self.version(
            5,
            PRIYA,
            "recipe_pricing_base",
            "Lower the learning rate: validation MAPE varied by 4 points across folds at 0.05",
            {
                "model.hyperparameters.learning_rate": 0.03,
                "model.hyperparameters.n_estimators": 900,
            },
        )
        self.status(6, PRIYA, "recipe_pricing_base", "approved")
        self.status(6, MEI, "recipe_forecasting_base", "approved")

    def variants(self) -> None:
        grocery = self.resolved("recipe_pricing_base")
        grocery = set_value(grocery, "pricing.objective", "margin")
        grocery = set_value(grocery, "pricing.price_bounds.max_change_pct", 5)
        grocery = set_value(
            grocery,
            "features.shelf_life_days",
            {"dtype": "int", "source": "catalog", "description": "Days until the product spoils."},
        )
        self.recipe(
            7,
            PRIYA,
            "recipe_pricing_grocery",
            "Grocery Pricing",
            "pricing",
            "industry",
            ["grocery", "perishables"],
            grocery,
            parent="recipe_pricing_base",
            description="Margin-first pricing for perishable goods; small daily price moves.",
            note="Grocery variant: optimise margin, cap daily moves at 5%, add shelf life",
        )
        self.version(
            8,
            MEI,
            "recipe_forecasting_base",
            "Hold out the last 8 weeks for model selection",
            {"training.parameters": {"holdout_weeks": 8}},
        )
        retail = self.resolved("recipe_forecasting_base")
        retail = set_value(retail, "forecasting.frequency", "W")
        retail = set_value(retail, "forecasting.horizon", 13)
        retail = set_value(retail, "features.promo_flag", {"dtype": "bool", "source": "sales"})
        self.recipe(
            9,
            MEI,
            "recipe_forecasting_retail",
            "Retail Demand Forecasting",
            "forecasting",
            "industry",
            ["retail", "weekly"],
            retail,
            parent="recipe_forecasting_base",
            description="Weekly store demand, one quarter ahead, promotion-aware.",
            note="Retail variant: weekly grain, 13-week horizon, promotions",
        )
        self.version(
            10,
            PRIYA,
            "recipe_pricing_base",
            "Alert when transaction data is more than a day old",
            {"monitoring.freshness": {"max_age_hours": 26}},
        )
        self.status(11, PRIYA, "recipe_pricing_grocery", "approved")
        freshmart = self.resolved("recipe_pricing_grocery")
        freshmart = set_value(freshmart, "pricing.price_bounds.min_ratio", 0.9)
        freshmart = set_value(
            freshmart, "data_sources.transactions.uri", "freshmart.sales.transactions"
        )
        self.recipe(
            11,
            PRIYA,
            "recipe_pricing_freshmart",
            "FreshMart Pricing",
            "pricing",
            "client",
            ["client", "freshmart", "grocery"],
            freshmart,
            parent="recipe_pricing_grocery",
            description="FreshMart's 240 stores: their transactions, a 10% floor on discounts.",
            note="FreshMart: client data source and a 0.9 price floor",
        )
        self.version(
            12,
            TOMAS,
            "recipe_nba_base",
            "Add loyalty points as an action",
            {
                "next_best_action.actions.loyalty_points": {
                    "name": "Grant 500 loyalty points",
                    "channel": "app",
                    "cost": 2.5,
                }
            },
        )
        self.status(12, TOMAS, "recipe_nba_base", "approved")
        telco = self.resolved("recipe_nba_base")
        telco = set_value(telco, "next_best_action.actions.discount_10", None)
        telco = set_value(
            telco,
            "next_best_action.actions.data_boost",
            {"name": "Free 5 GB data boost", "channel": "sms", "cost": 1.2},
        )
        telco = set_value(
            telco, "features.data_usage_gb", {"dtype": "float", "source": "customers"}
        )
        self.recipe(
            13,
            TOMAS,
            "recipe_nba_telco",
            "Telco Next Best Action",
            "next_best_action",
            "industry",
            ["telco", "retention"],
            telco,
            parent="recipe_nba_base",
            description="Retention actions for mobile subscribers; no blanket discounts.",
            note="Telco variant: data boost instead of discounts, data usage feature",
        )
        northwind = self.resolved("recipe_forecasting_retail")
        northwind = set_value(northwind, "forecasting.quantiles", [0.05, 0.5, 0.95])
        self.recipe(
            14,
            MEI,
            "recipe_forecasting_northwind",
            "Northwind Weekly Forecast",
            "forecasting",
            "client",
            ["client", "northwind"],
            northwind,
            parent="recipe_forecasting_retail",
            description="Northwind's own stores; wider bands for replenishment safety stock.",
            note="Northwind: 5%/95% bands for safety stock",
        )
        self.status(14, MEI, "recipe_forecasting_retail", "approved")
        self.status(14, MEI, "recipe_forecasting_northwind", "approved")

    def pricing_in_production(self) -> None:
        grocery_v = "ver_pricing_grocery_v1.0.0"
        self.model(
            15,
            "model_grocery_pricing_v1",
            "Grocery Pricing v1",
            "recipe_pricing_grocery",
            grocery_v,
            "pricing-science",
            "First grocery pricing model, trained on the pilot stores.",
        )
        self.job(
            15,
            "recipe_pricing_grocery",
            grocery_v,
            "train",
            "model_grocery_pricing_v1",
            "succeeded",
            {"MAPE": 0.168, "revenue_lift": 0.021, "margin_impact": 0.034},
            "Loading warehouse.sales.transactions (pilot stores): 4,812,330 rows\n"
            "Training LightGBM: 900 trees, learning_rate=0.03\nValidation MAPE 0.168\nSaved model\n",
            38,
            {"model_path": "s3://northwind-ml/models/grocery_pricing_v1/model.txt"},
        )
        self.status(16, PRIYA, "recipe_pricing_freshmart", "approved")
        fm_v = "ver_pricing_freshmart_v1.0.0"
        self.model(
            16,
            "model_freshmart_pricing",
            "FreshMart Production Pricing",
            "recipe_pricing_freshmart",
            fm_v,
            "pricing-science",
            "Sets daily shelf prices in FreshMart's 240 stores.",
        )
        self.job(
            16,
            "recipe_pricing_freshmart",
            fm_v,
            "train",
            "model_freshmart_pricing",
            "succeeded",
            {"MAPE": 0.142, "revenue_lift": 0.042, "margin_impact": 0.068},
            "Loading freshmart.sales.transactions: 21,448,101 rows\nTraining LightGBM: 900 trees\n"
            "Fold 1/5 MAPE 0.139\nFold 2/5 MAPE 0.146\nFold 3/5 MAPE 0.141\nFold 4/5 MAPE 0.144\n"
            "Fold 5/5 MAPE 0.140\nSaved model\n",
            52,
            {
                "model_path": "s3://northwind-ml/models/freshmart_pricing/2026-w1/model.txt",
                "feature_importance": "s3://northwind-ml/models/freshmart_pricing/2026-w1/importance.csv",
            },
        )
        self.job(
            17,
            "recipe_pricing_freshmart",
            fm_v,
            "backtest",
            "model_freshmart_pricing",
            "succeeded",
            {"MAPE": 0.151, "revenue_lift": 0.039, "margin_impact": 0.061},
            "Backtest over 12 weeks of held-out prices\nSimulated revenue lift 3.9%\n",
            95,
        )
        self.promote(17, "model_freshmart_pricing", "staging", PRIYA)
        self.promote(18, "model_freshmart_pricing", "production", PRIYA)
        drift = [0.04, 0.05, 0.07, 0.09, 0.12, 0.16, 0.19, 0.24]
        mape = [0.141, 0.144, 0.148, 0.152, 0.161, 0.172, 0.188, 0.214]
        lift = [0.041, 0.041, 0.039, 0.037, 0.034, 0.031, 0.027, 0.022]
        for i, day in enumerate(range(19, 56, 5)):
            alerts: dict[str, Any] = {}
            if drift[i] >= 0.2:
                alerts["PSI"] = {
                    "severity": "alert",
                    "value": drift[i],
                    "threshold": 0.2,
                    "message": "Input drift above the alert level: competitor price changes",
                }
            elif drift[i] >= 0.1:
                alerts["PSI"] = {
                    "severity": "warn",
                    "value": drift[i],
                    "threshold": 0.1,
                    "message": "Input drift above the warning level",
                }
            self.snapshot(
                day,
                "model_freshmart_pricing",
                {"MAPE": mape[i], "revenue_lift": lift[i]},
                {"PSI": drift[i], "KS_base_price": round(drift[i] * 0.8, 3)},
                6 + i % 3,
                alerts,
            )

    def forecasting_in_production(self) -> None:
        nw_v = "ver_forecasting_northwind_v1.0.0"
        self.model(
            19,
            "model_northwind_forecast",
            "Northwind Weekly Demand",
            "recipe_forecasting_northwind",
            nw_v,
            "forecasting-team",
            "Feeds weekly replenishment orders for 85 stores.",
        )
        self.job(
            19,
            "recipe_forecasting_northwind",
            nw_v,
            "train",
            "model_northwind_forecast",
            "succeeded",
            {"MAPE": 0.121, "WAPE": 0.094, "bias": -0.012},
            "Fitting Prophet per store: 85 stores\nAll fits converged\n",
            71,
        )
        self.job(
            20,
            "recipe_forecasting_northwind",
            nw_v,
            "backtest",
            "model_northwind_forecast",
            "succeeded",
            {"MAPE": 0.129, "WAPE": 0.101, "bias": -0.008},
            "Rolling-origin backtest: 8 origins, 13-week horizon\n",
            140,
        )
        self.promote(21, "model_northwind_forecast", "production", MEI)
        for i, day in enumerate(range(22, 56, 4)):
            age = 41.0 if day == 38 else 8.0 + i % 4
            alerts = (
                {
                    "stale_data": {
                        "severity": "warn",
                        "message": "sales data 41 hours old (limit 30)",
                    }
                }
                if age > 30
                else {}
            )
            self.snapshot(
                day,
                "model_northwind_forecast",
                {"MAPE": round(0.122 + 0.004 * i, 3), "WAPE": round(0.095 + 0.002 * i, 3)},
                {"PSI": round(0.03 + 0.006 * i, 3)},
                age,
                alerts,
            )

    def later_weeks(self) -> None:
        self.version(
            22,
            PRIYA,
            "recipe_pricing_base",
            "Add competitor prices: the biggest gain in the Q3 pricing study",
            {
                "data_sources.competitors": {
                    "kind": "api",
                    "uri": "https://prices.example/v1/competitors",
                    "refresh": "daily",
                },
                "features.competitor_price": {"dtype": "float", "source": "competitors"},
            },
        )
        self.run.at(23, 10)
        clone = self.run(
            "recipes",
            "clone",
            "recipe_pricing_base",
            "--name",
            "Retail Pricing v1",
            "--level",
            "industry",
        )
        rid = clone["id"]
        retail_v = self.version(
            23,
            TOMAS,
            rid,
            "Added retail features: loyalty membership and basket size",
            {
                "features.loyalty_member": {"dtype": "bool", "source": "transactions"},
                "features.basket_size": {"dtype": "float", "source": "transactions"},
            },
        )
        self.status(24, TOMAS, rid, "approved")
        self.model(
            24,
            "model_retail_pricing",
            "Production Retail Pricing",
            rid,
            retail_v,
            "team",
            "Registered through the seed's usage example flow.",
        )
        self.job(
            24,
            rid,
            retail_v,
            "train",
            "model_retail_pricing",
            "succeeded",
            {"revenue_lift": 0.045},
            "Training started...\nEpoch 1/10...\nEpoch 10/10\nDone\n",
            25,
        )
        self.promote(25, "model_retail_pricing", "production", TOMAS)
        self.version(
            24,
            PRIYA,
            "recipe_pricing_grocery",
            "Cap daily price moves at 4%: store feedback",
            {"pricing.price_bounds.max_change_pct": 4},
        )
        telco_v = "ver_nba_telco_v1.0.0"
        self.model(
            26,
            "model_telco_nba",
            "Telco Retention Actions",
            "recipe_nba_telco",
            telco_v,
            "crm-analytics",
            "Picks one retention action per at-risk subscriber.",
        )
        self.job(
            26,
            "recipe_nba_telco",
            telco_v,
            "train",
            "model_telco_nba",
            "failed",
            None,
            "Loading warehouse.crm.customers: 9,120,004 rows\nBuilding ranking groups\n"
            "ERROR: worker killed: out of memory (peak 31.8 GB of 32 GB)\n",
            64,
        )
        self.job(
            27,
            "recipe_nba_telco",
            telco_v,
            "train",
            "model_telco_nba",
            "succeeded",
            {"ndcg_at_3": 0.392, "uplift": 0.014, "acceptance_rate": 0.051},
            "Sampling 40% of groups to fit in memory\nTraining XGBoost ranker\nValidation NDCG@3 0.392\n",
            88,
        )
        self.version(
            28,
            AISHA,
            "recipe_location_base",
            "More trees: R2 improved 0.03 on the 2025 openings",
            {"model.hyperparameters.n_estimators": 800},
        )
        self.status(28, AISHA, "recipe_location_base", "approved")
        loc_v = "ver_location_base_v1.0.1"
        self.model(
            29,
            "model_site_scoring",
            "New Store Site Scoring",
            "recipe_location_base",
            loc_v,
            "real-estate-analytics",
            "Ranks candidate sites for the 2027 opening programme.",
        )
        self.job(
            29,
            "recipe_location_base",
            loc_v,
            "backtest",
            "model_site_scoring",
            "succeeded",
            {"R2": 0.66, "MAPE": 0.262},
            "Backtest on 41 stores opened 2022-2025\nR2 0.66\n",
            33,
        )
        self.promote(30, "model_site_scoring", "staging", AISHA)
        self.promote(31, "model_grocery_pricing_v1", "retired", PRIYA)
        fm2 = self.version(
            33,
            PRIYA,
            "recipe_pricing_freshmart",
            "Watch margin impact in production too",
            {"monitoring.performance.margin_impact": {"min": 0.03}},
        )
        self.model(
            34,
            "model_freshmart_pricing_v2",
            "FreshMart Pricing Challenger",
            "recipe_pricing_freshmart",
            fm2,
            "pricing-science",
            "Challenger trained on recent weeks, to replace the drifting model.",
        )
        self.job(
            34,
            "recipe_pricing_freshmart",
            fm2,
            "train",
            "model_freshmart_pricing_v2",
            "succeeded",
            {"MAPE": 0.133, "revenue_lift": 0.047, "margin_impact": 0.071},
            "Training on the last 26 weeks\nValidation MAPE 0.133\n",
            49,
        )
        self.promote(35, "model_freshmart_pricing_v2", "staging", PRIYA)
        for week, day in enumerate((36, 43, 50)):
            self.job(
                day,
                "recipe_pricing_freshmart",
                "ver_pricing_freshmart_v1.0.0",
                "eval",
                "model_freshmart_pricing",
                "succeeded",
                {"MAPE": [0.158, 0.176, 0.203][week], "revenue_lift": [0.035, 0.031, 0.025][week]},
                f"Weekly evaluation {week + 1}: scoring last week's prices\n",
                12,
            )
        self.job(
            52,
            "recipe_pricing_freshmart",
            fm2,
            "backtest",
            "model_freshmart_pricing_v2",
            "failed",
            None,
            "Backtest over 12 weeks\nERROR: competitor prices missing for 2026-W40..W41; "
            "cannot build competitor_price\n",
            7,
        )
        self.job(
            54,
            "recipe_pricing_freshmart",
            fm2,
            "eval",
            "model_freshmart_pricing_v2",
            "succeeded",
            {"MAPE": 0.139, "revenue_lift": 0.044, "margin_impact": 0.066},
            "Shadow evaluation against production prices\n",
            15,
        )
        self.job(55, "recipe_nba_telco", telco_v, "eval", "model_telco_nba", "running")
        self.job(
            55,
            "recipe_forecasting_northwind",
            "ver_forecasting_northwind_v1.0.0",
            "train",
            "model_northwind_forecast",
            "queued",
        )
