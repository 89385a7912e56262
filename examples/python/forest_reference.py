#!/usr/bin/env python3
"""The baseline's random forests on a reference's own split, for comparison with
`morphic calibrate`: per varied parameter, a RandomForestRegressor (300 trees, as in
baseline.py) trained on the `train` runs on which a field acted, its MAE on the `test`
ones; and a RandomForestClassifier (field acted or not) with its ROC AUC on `test`.

    python3 forest_reference.py DATASET_FOLDER [--json]
"""
import json, sys

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.metrics import roc_auc_score

folder = sys.argv[1]
columns = json.load(open(f"{folder}/manifest.json"))["columns"]["features.csv"]
roles = {c["name"]: c["role"] for c in columns}
frame = pd.read_csv(f"{folder}/features.csv", keep_default_na=False, na_values=[""], low_memory=False)
features = [name for name, role in roles.items() if role == "feature"]
X = frame[features].fillna(0).to_numpy()
field = ((frame["label"] == "morphic") & (frame["true_field_strength"] > 0)).to_numpy()
train, test = (frame["split"] == "train").to_numpy(), (frame["split"] == "test").to_numpy()
result = {}
for name in ("field_strength", "temporal_decay", "similarity_threshold"):
    y = pd.to_numeric(frame["true_" + name], errors="coerce").to_numpy()
    if np.unique(y[field & ~np.isnan(y)]).size < 2:
        continue
    fit, score = train & field, test & field
    model = RandomForestRegressor(n_estimators=300, random_state=0, n_jobs=-1).fit(X[fit], y[fit])
    result[name] = {"forest_mae": float(np.abs(model.predict(X[score]) - y[score]).mean()),
                    "constant_mae": float(np.abs(np.median(y[fit]) - y[score]).mean())}
if 0 < field[train].sum() < train.sum():
    classifier = RandomForestClassifier(n_estimators=300, random_state=0, class_weight="balanced", n_jobs=-1)
    classifier.fit(X[train], field[train])
    probability = classifier.predict_proba(X[test])[:, 1]
    result["p_field"] = {"roc_auc": float(roc_auc_score(field[test], probability)),
                         "false_positive_rate": float((probability[~field[test]] >= 0.5).mean())}
print(json.dumps(result))
