"""TRL reward function that scores completions with the openrs reward server (POST /score).

Start the server (loopback, the paper's Open-RS3 recipe: format x1 + cosine x2):

    npx openrs-eval serve-rewards --recipe openrs-exp3 --port 8000

then hand the function to TRL; the recipe's weights are applied by the server, so give TRL weight 1.0:

    from trl import GRPOConfig, GRPOTrainer
    from trl_reward import openrs_reward
    trainer = GRPOTrainer(model=..., reward_funcs=[openrs_reward], args=GRPOConfig(...), train_dataset=ds)

The gold answer is read from the dataset column named by OPENRS_GOLD_COLUMN (default "solution", as in open-r1
datasets; use "answer" for most others). Only the standard library is used.
"""

import json
import os
import urllib.error
import urllib.request

OPENRS_URL = os.environ.get("OPENRS_REWARD_URL", "http://127.0.0.1:8000").rstrip("/")
GOLD_COLUMN = os.environ.get("OPENRS_GOLD_COLUMN", "solution")
TIMEOUT_S = float(os.environ.get("OPENRS_REWARD_TIMEOUT", "300"))


def _text(completion):
    """A completion as plain text: TRL passes strings, or message lists for conversational datasets."""
    if isinstance(completion, str):
        return completion
    return "".join(m.get("content") or "" for m in completion if m.get("role", "assistant") == "assistant")


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


def openrs_reward(completions, completion_ids=None, **kwargs):
    """One reward per completion: the recipe's weighted total. None means "leave this one out" (unparsable gold,
    recipe policy "skip"); TRL turns it into NaN and excludes it from the group statistics."""
    golds = kwargs.get(GOLD_COLUMN)
    if golds is None:
        raise KeyError(f"openrs_reward: the dataset has no column {GOLD_COLUMN!r} (set OPENRS_GOLD_COLUMN)")
    payload = {"completions": [_text(c) for c in completions], "golds": [None if g is None else str(g) for g in golds]}
    if completion_ids is not None:  # token counts, for the clamped cosine reward
        payload["completion_tokens"] = [len(ids) for ids in completion_ids]
    body = _post("/score", payload)
    return body["rewards"]


if __name__ == "__main__":
    print(openrs_reward(["Let me see.\n</think>\nThe answer is $\\boxed{4}$."], solution=["4"]))
