"""verl reward functions backed by the openrs reward server (POST /score).

Start the server:   npx openrs-eval serve-rewards --recipe openrs-exp3 --port 8000

Per-sample (verl's default "naive" reward manager):
    custom_reward_function.path=examples/verl_compute_score.py custom_reward_function.name=compute_score

Batched (one request per training batch; much faster):
    reward_model.reward_manager=batch \
    custom_reward_function.path=examples/verl_compute_score.py custom_reward_function.name=compute_score_batch

Each sample gets {"score": weighted total, <function>: value, ...}; verl logs the extra keys. An item the recipe
skips (unparsable gold with onBadGold "skip") scores 0.0 here, since verl has no way to leave it out.
Only the standard library is used.
"""

import json
import os
import urllib.error
import urllib.request

OPENRS_URL = os.environ.get("OPENRS_REWARD_URL", "http://127.0.0.1:8000").rstrip("/")
TIMEOUT_S = float(os.environ.get("OPENRS_REWARD_TIMEOUT", "300"))


def _post(path, payload):
    request = urllib.request.Request(
        OPENRS_URL + path,
        data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as e:  # 400/413 carry {"error": "..."}
        raise RuntimeError(f"openrs reward server: HTTP {e.code}: {e.read().decode('utf-8', 'replace')}") from None


def _results(body):
    out = []
    for i, total in enumerate(body["rewards"]):
        item = {"score": 0.0 if total is None else float(total)}
        for name, values in body["per_function"].items():
            item[name] = 0.0 if values[i] is None else float(values[i])
        out.append(item)
    return out


def compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos=None):
    payload = {"completions": list(solution_strs), "golds": [None if g is None else str(g) for g in ground_truths]}
    return _results(_post("/score", payload))


def compute_score(data_source, solution_str, ground_truth, extra_info=None):
    return compute_score_batch([data_source], [solution_str], [ground_truth], [extra_info])[0]


if __name__ == "__main__":
    print(compute_score("math", "Let me see.\n</think>\nThe answer is $\\boxed{4}$.", "4"))
