"""The demo's story: Northwind's data science team over eight weeks.

Four baselines, industry variants for grocery, retail and telco, client recipes for
FreshMart and Northwind's own stores; models that reach production, a challenger in
staging, a retired one and a draft; runs that succeed, fail, and are still going; and
monitoring in which FreshMart's pricing model slowly drifts until it raises an alert.
"""

from __future__ import annotations

from typing import Any

from modelyard.demo.chapters import RecipeChapters
from modelyard.demo.steps import AISHA, MEI, PRIYA, TOMAS, Runner

__all__ = ["Runner", "Story"]


class Story(RecipeChapters):
    # -- the story -------------------------------------------------------------------------
    def tell(self) -> None:
        self.baselines()
        self.variants()
        self.pricing_in_production()
        self.forecasting_in_production()
        self.later_weeks()

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
            "Training LightGBM: 900 trees, learning_rate=0.03\n"
            "Validation MAPE 0.168\nSaved model\n",
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
        # the data contract follows: the stored schema gains a competitor_price field
        self.synthetic(
            22,
            PRIYA,
            "recipe_pricing_base",
            12,
            {"run_type": "train", "metrics_json": {"MAPE": 0.1, "revenue_lift": 0.041}},
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
            "Sampling 40% of groups to fit in memory\nTraining XGBoost ranker\n"
            "Validation NDCG@3 0.392\n",
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
