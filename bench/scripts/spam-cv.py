#!/usr/bin/env python3
"""5-fold stratified cross-validation of `rnn classify` on the SpamAssassin corpus (a folder per class).

Usage: python3 bench/scripts/spam-cv.py ../shared/data/spamassassin [--folds 5] [--work /tmp/spam-cv] [-- extra train options]
Builds, for each fold, train/ and test/ folders of symbolic links (seeded, stratified by class), trains with
`rnn classify train --data train --test test`, scores the best model with `rnn classify eval --json` and
prints per-fold and mean accuracy and spam F1 as JSON lines.
"""
import json, os, random, subprocess, sys, time

def main():
    args = sys.argv[1:]
    extra = []
    if "--" in args:
        i = args.index("--")
        args, extra = args[:i], args[i + 1:]
    corpus = args[0]
    folds = int(args[args.index("--folds") + 1]) if "--folds" in args else 5
    work = args[args.index("--work") + 1] if "--work" in args else "/tmp/spam-cv"
    only = int(args[args.index("--only") + 1]) if "--only" in args else None
    rnn = ["dotnet", os.path.join(os.path.dirname(__file__), "../../src/Recurrent.Cli/bin/Release/net10.0/rnn.dll")]
    rng = random.Random(1)
    classes = sorted(d for d in os.listdir(corpus) if os.path.isdir(os.path.join(corpus, d)))
    assignment = {}
    for c in classes:
        files = sorted(f for f in os.listdir(os.path.join(corpus, c)) if not f.startswith("."))
        rng.shuffle(files)
        for k, f in enumerate(files):
            assignment[(c, f)] = k % folds
    results = []
    for fold in range(folds):
        if only is not None and fold != only:
            continue
        root = os.path.join(work, f"fold{fold}")
        subprocess.run(["rm", "-rf", root], check=True)
        for (c, f), k in assignment.items():
            part = "test" if k == fold else "train"
            os.makedirs(os.path.join(root, part, c), exist_ok=True)
            os.symlink(os.path.abspath(os.path.join(corpus, c, f)), os.path.join(root, part, c, f))
        start = time.time()
        subprocess.run(rnn + ["classify", "train", "--data", os.path.join(root, "train"), "--out", os.path.join(root, "run")] + extra,
                       check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, CI="1"))
        minutes = (time.time() - start) / 60
        out = subprocess.run(rnn + ["classify", "eval", "--model", os.path.join(root, "run"), "--data", os.path.join(root, "test"), "--json"],
                             check=True, capture_output=True, text=True).stdout
        m = json.loads(out)
        row = {"fold": fold, "accuracy": m["accuracy"], "spam_f1": m["per_class"]["spam"]["f1"], "macro_f1": m["macro_f1"],
               "examples": m["examples"], "train_minutes": round(minutes, 2)}
        print(json.dumps(row), flush=True)
        results.append(row)
    if len(results) > 1:
        mean = {k: round(sum(r[k] for r in results) / len(results), 5) for k in ("accuracy", "spam_f1", "macro_f1", "train_minutes")}
        print(json.dumps({"mean": mean, "folds": len(results)}))

if __name__ == "__main__":
    main()
