"""Manifests of the demo's baseline recipes, and the changes its later versions make."""

from __future__ import annotations

from typing import Any

PRICING: dict[str, Any] = {
    "description": "Demand model with price elasticity; "
    "recommends prices within bounds to maximise revenue.",
    "data_sources": {
        "transactions": {
            "kind": "table",
            "uri": "warehouse.sales.transactions",
            "timestamp_column": "sold_at",
            "refresh": "daily",
        },
        "catalog": {"kind": "table", "uri": "warehouse.products.catalog", "refresh": "weekly"},
    },
    "features": {
        "base_price": {
            "dtype": "float",
            "source": "transactions",
            "description": "List price before promotions.",
        },
        "discount_pct": {"dtype": "float", "source": "transactions"},
        "day_of_week": {"dtype": "category", "source": "transactions"},
        "category": {"dtype": "category", "source": "catalog"},
        "units_lag_7": {"dtype": "float", "source": "transactions", "transform": "lag_7"},
    },
    "target": {
        "name": "units_sold",
        "dtype": "float",
        "kind": "regression",
        "source": "transactions",
    },
    "model": {
        "algorithm": "lightgbm",
        "framework": "lightgbm==4.3",
        "hyperparameters": {
            "learning_rate": 0.05,
            "num_leaves": 31,
            "n_estimators": 600,
            "min_child_samples": 40,
        },
    },
    "training": {"split": "time", "test_size": 0.2, "window_days": 365, "schedule": "weekly"},
    "evaluation": {
        "metrics": ["MAPE", "revenue_lift", "margin_impact"],
        "acceptance": {"MAPE": {"max": 0.2}, "revenue_lift": {"min": 0.02}},
    },
    "monitoring": {
        "performance": {"MAPE": {"max": 0.25}, "revenue_lift": {"min": 0.01}},
        "drift": {"PSI": {"warn": 0.1, "alert": 0.2}},
    },
    "pricing": {
        "objective": "revenue",
        "price_bounds": {"min_ratio": 0.85, "max_ratio": 1.15},
        "elasticity_prior": -1.4,
    },
}

FORECASTING: dict[str, Any] = {
    "description": "Daily unit demand per store and product, 28 days ahead.",
    "data_sources": {
        "sales": {
            "kind": "table",
            "uri": "warehouse.sales.daily_units",
            "timestamp_column": "day",
            "refresh": "daily",
        },
        "calendar": {"kind": "file", "uri": "s3://northwind-ml/reference/calendar.parquet"},
    },
    "features": {
        "units_lag_7": {"dtype": "float", "source": "sales", "transform": "lag_7"},
        "units_lag_28": {"dtype": "float", "source": "sales", "transform": "lag_28"},
        "rolling_mean_28": {"dtype": "float", "source": "sales", "transform": "rolling_mean_28"},
        "holiday": {"dtype": "bool", "source": "calendar"},
    },
    "target": {"name": "units", "dtype": "float", "kind": "regression", "source": "sales"},
    "model": {
        "algorithm": "prophet",
        "hyperparameters": {"changepoint_prior_scale": 0.05, "seasonality_mode": "multiplicative"},
    },
    "training": {"split": "time", "window_days": 730, "schedule": "weekly"},
    "evaluation": {
        "metrics": ["MAPE", "WAPE", "bias"],
        "acceptance": {"MAPE": {"max": 0.18}, "bias": {"min": -0.05, "max": 0.05}},
    },
    "monitoring": {
        "performance": {"MAPE": {"max": 0.2}},
        "drift": {"PSI": {"warn": 0.1, "alert": 0.25}},
        "freshness": {"max_age_hours": 30},
    },
    "forecasting": {"horizon": 28, "frequency": "D", "quantiles": [0.1, 0.5, 0.9]},
}

NEXT_BEST_ACTION: dict[str, Any] = {
    "description": "Ranks retention and upsell actions per customer by expected uplift.",
    "data_sources": {
        "customers": {"kind": "table", "uri": "warehouse.crm.customers", "refresh": "daily"},
        "interactions": {
            "kind": "stream",
            "uri": "kafka://events.interactions",
            "timestamp_column": "ts",
        },
    },
    "features": {
        "tenure_days": {"dtype": "int", "source": "customers"},
        "monthly_spend": {"dtype": "float", "source": "customers"},
        "last_contact_days": {"dtype": "int", "source": "interactions"},
        "segment": {"dtype": "category", "source": "customers"},
    },
    "target": {
        "name": "accepted_offer",
        "dtype": "bool",
        "kind": "ranking",
        "source": "interactions",
    },
    "model": {
        "algorithm": "xgboost",
        "hyperparameters": {"objective": "rank:ndcg", "eta": 0.1, "max_depth": 6},
    },
    "training": {"split": "time", "window_days": 180, "schedule": "daily"},
    "evaluation": {
        "metrics": ["ndcg_at_3", "uplift", "acceptance_rate"],
        "acceptance": {"ndcg_at_3": {"min": 0.35}, "uplift": {"min": 0.01}},
    },
    "monitoring": {
        "performance": {"acceptance_rate": {"min": 0.04}},
        "drift": {"PSI": {"warn": 0.1, "alert": 0.2}},
    },
    "next_best_action": {
        "actions": {
            "upgrade_plan": {"name": "Offer a plan upgrade", "channel": "email", "cost": 0.5},
            "discount_10": {"name": "10% discount next month", "channel": "sms", "cost": 4.0},
            "callback": {"name": "Agent call-back", "channel": "phone", "cost": 6.5},
        },
        "max_actions_per_customer": 1,
    },
}

LOCATION_SCORING: dict[str, Any] = {
    "description": "Scores candidate store sites by expected first-year revenue.",
    "data_sources": {
        "stores": {"kind": "table", "uri": "warehouse.stores.performance"},
        "census": {"kind": "file", "uri": "s3://northwind-ml/reference/census_2025.parquet"},
        "footfall": {"kind": "api", "uri": "https://footfall.example/v2/areas"},
    },
    "features": {
        "population_5km": {"dtype": "float", "source": "census"},
        "median_income": {"dtype": "float", "source": "census"},
        "competitor_count_2km": {"dtype": "int", "source": "stores"},
        "weekday_footfall": {"dtype": "float", "source": "footfall"},
    },
    "target": {
        "name": "first_year_revenue",
        "dtype": "float",
        "kind": "regression",
        "source": "stores",
    },
    "model": {
        "algorithm": "random_forest",
        "framework": "scikit-learn",
        "hyperparameters": {"n_estimators": 500, "max_depth": 12},
    },
    "training": {"split": "group", "test_size": 0.25, "parameters": {"group_by": "region"}},
    "evaluation": {
        "metrics": ["R2", "MAPE"],
        "acceptance": {"R2": {"min": 0.6}, "MAPE": {"max": 0.3}},
    },
    "monitoring": {"drift": {"PSI": {"warn": 0.15, "alert": 0.3}}},
    "location_scoring": {
        "geography": {"level": "postcode", "regions": ["north", "midlands", "south"]},
        "catchment_km": 5,
    },
}
