"""Intent recognition per language on the held-out files (tests/nlu/), for
Carolina's config.yml and for Rasa's default pipeline (what `rasa init` gives
when the pipeline is left empty, bench/rasa_default_config.yml), trained on the
same data in the same run: accuracy, macro-F1, time per message, training time.

python -m bench nlu [--quick --rasa-url URL] [--out DIR]

--quick evaluates a running Rasa on a few messages per language and trains
nothing (make test runs it so the script never rots). The full run trains both
NLU models (several minutes each on two cores) and serves each in turn.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Tuple

import requests
from sklearn.metrics import accuracy_score, f1_score

from bench import output
from bench.stack import ASSISTANT_BIN

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
HOLDOUT = ROOT / "tests" / "nlu"
CONFIGS = {
    "Carolina (config.yml)": ROOT / "config.yml",
    "Rasa default pipeline": ROOT / "bench" / "rasa_default_config.yml",
}
BIN = ASSISTANT_BIN


def holdout() -> Dict[str, List[Tuple[str, str]]]:
    from rasa.shared.nlu.training_data.loading import load_data

    examples: Dict[str, List[Tuple[str, str]]] = defaultdict(list)
    for path in sorted(HOLDOUT.glob("*.yml")):
        for message in load_data(str(path)).training_examples:
            examples[message.get("metadata")["intent"]["language"]].append((message.get("text"), message.get("intent")))
    return examples


def evaluate(rasa_url: str, examples: Dict[str, List[Tuple[str, str]]]) -> Dict[str, Any]:
    session, results = requests.Session(), {}
    for language, rows in examples.items():
        expected, predicted, seconds = [], [], []
        for text, intent in rows:
            start = time.perf_counter()
            parsed = session.post(f"{rasa_url}/model/parse", json={"text": text}, timeout=60).json()
            seconds.append(time.perf_counter() - start)
            expected.append(intent)
            predicted.append(parsed["intent"]["name"])
        results[language] = {
            "messages": len(rows),
            "accuracy": accuracy_score(expected, predicted),
            "macro_f1": f1_score(expected, predicted, labels=sorted(set(expected)), average="macro", zero_division=0),
            "ms_per_message": 1000 * sum(seconds) / len(seconds),
        }
    return results


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def train_and_evaluate(config: Path, examples: Dict[str, List[Tuple[str, str]]], workdir: Path) -> Dict[str, Any]:
    # As `make train`: one TensorFlow thread, deterministic ops, so runs compare.
    env = dict(
        os.environ,
        TF_DETERMINISTIC_OPS="1",
        TF_CPP_MIN_LOG_LEVEL="2",
        TF_INTER_OP_PARALLELISM_THREADS="1",
        TF_INTRA_OP_PARALLELISM_THREADS="1",
    )
    start = time.perf_counter()
    subprocess.run(
        [str(BIN / "rasa"), "train", "nlu", "--config", str(config), "--nlu", "data/nlu", "--out", str(workdir),
         "--fixed-model-name", config.stem],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    training = time.perf_counter() - start
    model = workdir / f"{config.stem}.tar.gz"
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "rasa"), "run", "--enable-api", "-m", str(model), "-p", str(port), "-i", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/status", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(1)
        results = evaluate(url, examples)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"training_seconds": training, "model_mb": model.stat().st_size / 2**20, "languages": results}


def markdown(report: Dict[str, Any]) -> str:
    lines = [
        f"# NLU on the held-out files ({report['date']})",
        "",
        "| pipeline | language | messages | accuracy | macro-F1 | ms per message | training s |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, result in report["pipelines"].items():
        for language, row in result["languages"].items():
            training = result.get("training_seconds")
            lines.append(
                f"| {name} | {language} | {row['messages']} | {row['accuracy']:.3f} | {row['macro_f1']:.3f} | "
                f"{row['ms_per_message']:.1f} | {'-' if training is None else f'{training:.0f}'} |"
            )
    return "\n".join(lines) + "\n"


def plot(report: Dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(report["pipelines"])
    languages = ["pt", "es", "en"]
    figure, axis = plt.subplots(figsize=(6, 3.5))
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        values = [report["pipelines"][name]["languages"].get(lang, {}).get("macro_f1", 0) for lang in languages]
        axis.bar([x + i * width for x in range(len(languages))], values, width, label=name)
    axis.set_xticks([x + width * (len(names) - 1) / 2 for x in range(len(languages))], languages)
    axis.set_ylim(0, 1)
    axis.set_ylabel("intent macro-F1 (held out)")
    axis.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench nlu")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    examples = holdout()
    report: Dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "pipelines": {}}
    if args.quick:
        examples = {language: rows[:5] for language, rows in examples.items()}
        report["pipelines"]["Carolina (running model)"] = {"languages": evaluate(args.rasa_url, examples)}
    else:
        with tempfile.TemporaryDirectory() as workdir:
            for name, config in CONFIGS.items():
                report["pipelines"][name] = train_and_evaluate(config, examples, Path(workdir))
                print(name, json.dumps(report["pipelines"][name]), flush=True)
    stem = output.save(args.out, "nlu", args.quick, report, markdown(report))
    plot(report, stem.with_suffix(".png"))
    return 0
