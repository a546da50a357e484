"""Apply each mutant named in issue 19 to a scratch copy of src/, run the test meant to catch
it, and report whether it failed (caught) as it must. The worktree is never modified.

Usage: python mutation/named_mutants.py   (from the repository root; exit status 1 if one escapes)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
W, T, C = "tests/test_engine_workspace.py", "tests/test_engine_training.py", "tests/test_engine_contracts.py"

# (what, file, original text, mutated text, test node id)
MUTANTS = [
    ("linear backward: the copy of dA into the output buffer deleted", "activations.py",
     "        np.copyto(out, dA)\n        return out", "        return out",
     f"{W}::test_trainer_step_gradient_matches_finite_differences[linear-sigmoid]"),
    ("history: cost + l2_cost -> cost - l2_cost", "training.py",
     "net.loss.cost(AL, Yb, wb) + l2_cost(", "net.loss.cost(AL, Yb, wb) - l2_cost(",
     f"{T}::test_history_records_the_cost_with_its_l2_term"),
    ("l2_cost: lambd == 0 -> lambd == 1", "losses.py", "if lambd == 0:", "if lambd == 1:",
     f"{T}::test_history_records_the_cost_with_its_l2_term[1.0]"),
    ("dropout: min(keep_probs) -> max(keep_probs)", "training.py", "min(keep_probs) < 1", "max(keep_probs) < 1",
     f"{T}::test_training_with_mixed_keep_probs_uses_dropout"),
    ("dropout: a mask drawn for keep_prob = 1 layers", "blocks.py", "keep_probs[l - 1] < 1:", "keep_probs[l - 1] <= 1:",
     f"{T}::test_mixed_keep_probs_drop_only_where_asked_and_draw_only_those_masks"),
    ("on_gradients: the callback call deleted", "training.py",
     "            cb.on_gradients(self, cost, grads)\n", "            pass\n",
     f"{T}::test_hooks_see_each_step_its_cost_and_the_update_count"),
    ("update counter: iteration += 1 -> += 2", "training.py", "self.iteration += 1", "self.iteration += 2",
     f"{T}::test_hooks_see_each_step_its_cost_and_the_update_count"),
    ("flat parameters: the views not installed", "training.py",
     "            params[key] = self.flat_parameters[offset : offset + p.size].reshape(p.shape)\n",
     "            self.flat_parameters[offset : offset + p.size].reshape(p.shape)\n",
     f"{T}::test_parameters_are_views_of_one_flat_vector_in_layer_order"),
    ("flat parameters: replaced arrays never gathered again", "training.py",
     "all(map(operator.is_, params.values(), views.values()))", "views",
     f"{T}::test_rollback_restores_parameters_replaced_during_training"),
    ("StepDecay: every = 100 -> 101", "optimizers.py", "every: int = 100", "every: int = 101",
     f"{C}::test_schedule_defaults"),
    ("RMSprop: learning_rate = 0.001 -> 1.001", "optimizers.py",
     "def __init__(self, learning_rate=0.001, beta2: float = 0.999, epsilon: float = 1e-8):",
     "def __init__(self, learning_rate=1.001, beta2: float = 0.999, epsilon: float = 1e-8):",
     f"{C}::test_optimizer_defaults_and_config"),
    ("RMSprop: epsilon = 1e-8 -> 1.00000001", "optimizers.py",
     "def __init__(self, learning_rate=0.001, beta2: float = 0.999, epsilon: float = 1e-8):",
     "def __init__(self, learning_rate=0.001, beta2: float = 0.999, epsilon: float = 1.00000001):",
     f"{C}::test_rmsprop_first_step_with_its_default_epsilon"),
    ("leaky_relu: 0 < slope -> 0 <= slope", "activations.py", "if not (0 < slope < 1):", "if not (0 <= slope < 1):",
     f"{C}::test_leaky_relu_refuses_slopes_outside_zero_one"),
    ("leaky_relu: slope < 1 -> slope <= 1", "activations.py", "if not (0 < slope < 1):", "if not (0 < slope <= 1):",
     f"{C}::test_leaky_relu_refuses_slopes_outside_zero_one"),
    ("public relu() broken", "activations.py", "return ReLU().forward(Z)", "return ReLU().forward(-Z)",
     f"{C}::test_public_activation_functions"),
    ("public leaky_relu() ignores its slope", "activations.py", "return LeakyReLU(slope).forward(Z)",
     "return LeakyReLU().forward(Z)", f"{C}::test_public_activation_functions"),
    ("public softmax() not shifted by its max", "activations.py", "return Softmax().forward(Z)",
     "return np.exp(Z) / np.exp(Z).sum(axis=0)", f"{C}::test_public_activation_functions"),
]  # fmt: skip


def run_test(src: Path, test: str) -> bool:
    """True if ``test`` passes with ``src`` first on the import path."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", test]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True).returncode == 0


def main() -> int:
    tests = sorted({m[4] for m in MUTANTS})
    if not all(run_test(ROOT / "src", t) for t in tests):
        print("the tests do not pass on the unmutated code; fix that first")
        return 1
    escaped = 0
    with tempfile.TemporaryDirectory() as tmp:
        for what, name, old, new, test in MUTANTS:
            src = Path(tmp) / "src"
            shutil.rmtree(src, ignore_errors=True)
            shutil.copytree(ROOT / "src", src)
            path = src / "layerwise" / name
            text = path.read_text()
            if text.count(old) != 1:
                print(f"?? {what}: the original text is not once in {name} (the code changed): update this list")
                escaped += 1
                continue
            path.write_text(text.replace(old, new))
            caught = not run_test(src, test)
            escaped += not caught
            print(f"{'caught ' if caught else 'ESCAPED'} {what}\n        by {test}")
    return 1 if escaped else 0


if __name__ == "__main__":
    sys.exit(main())
