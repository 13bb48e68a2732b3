"""The demo's first weeks: four baselines, then the industry and client variants."""

from __future__ import annotations

from modelyard.demo import manifests as m
from modelyard.demo.steps import AISHA, MEI, PRIYA, TOMAS, Steps
from modelyard.domain.resolve import set_value


class RecipeChapters(Steps):
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
        # generated from each recipe's Table Schema, derived from its manifest: the columns are
        # its features and target, the values inside their constraints (docs/synthetic.md)
        self.synthetic(
            3,
            PRIYA,
            "recipe_pricing_base",
            12,
            {"run_type": "train", "metrics_json": {"MAPE": 0.11, "revenue_lift": 0.036}},
        )
        self.synthetic(
            3,
            MEI,
            "recipe_forecasting_base",
            8,
            {"run_type": "backtest", "horizon": 28, "metrics_json": {"MAPE": 0.16, "WAPE": 0.12}},
        )
        self.synthetic(
            3,
            TOMAS,
            "recipe_nba_base",
            8,
            {"run_type": "eval", "metrics_json": {"ndcg_at_3": 0.41, "uplift": 0.018}},
        )
        self.synthetic(
            4,
            AISHA,
            "recipe_location_base",
            8,
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
