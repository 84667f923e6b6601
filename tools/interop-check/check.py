#!/usr/bin/python3
"""Runs the PyTorch code of docs/interop.md against models trained with `rnn`.

For each task it trains tiny models with the CLI, executes the doc's Python blocks unchanged (module
definitions and the "Recurrent → PyTorch" loading snippets, strict load_state_dict), and compares:
  lm       mean cross-entropy (nats) in PyTorch vs `rnn lm eval --json`
  classify softmax probabilities vs `rnn classify predict --json`
  seq2seq  greedy tokens and log-probability (the doc's encode/step in a greedy loop) vs `rnn seq2seq translate --json`
One line per check, exit code 1 on any failure. Needs torch (Debian's python3-torch); not part of the test suite.

    /usr/bin/python3 tools/interop-check/check.py [--no-build] [--keep DIR]
"""
import argparse, json, os, random, re, struct, subprocess, sys, tempfile, types

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOC = os.path.join(ROOT, "docs", "interop.md")
RNN = ["dotnet", os.path.join(ROOT, "src", "Recurrent.Cli", "bin", "Release", "net10.0", "rnn.dll")]
TOLERANCE = 1e-4
failures = []


# ---- a stand-in for the safetensors package (not installable here): the format of docs/safetensors.md ----

def load_file(path):
    with open(path, "rb") as f:
        blob = f.read()
    (size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + size])
    dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = bytearray(blob[8 + size + begin:8 + size + end])
        t = torch.frombuffer(raw, dtype=dtypes[info["dtype"]]) if raw else torch.empty(0, dtype=dtypes[info["dtype"]])
        tensors[name] = t.reshape(info["shape"]).clone()
    return tensors


def save_file(tensors, path):
    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.contiguous().view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


safetensors = types.ModuleType("safetensors")
safetensors.torch = types.ModuleType("safetensors.torch")
safetensors.torch.load_file, safetensors.torch.save_file = load_file, save_file
sys.modules["safetensors"], sys.modules["safetensors.torch"] = safetensors, safetensors.torch


# ---- the doc's code blocks ----

def python_blocks(heading):
    """The ```python blocks of the section that starts with `heading` (a level-2 heading)."""
    text = open(DOC, encoding="utf-8").read()
    sections = re.split(r"^## ", text, flags=re.M)
    matches = [s for s in sections if s.split("\n", 1)[0].strip() == heading]
    if len(matches) != 1:
        sys.exit(f"{DOC}: expected one section '## {heading}', found {len(matches)}; update check.py to the doc's new shape.")
    return re.findall(r"^```python\n(.*?)^```", matches[0], flags=re.M | re.S)


def doc_namespace():
    blocks = python_blocks("The PyTorch modules")
    if len(blocks) != 2 or "class LanguageModel" not in blocks[0] or "class Seq2Seq" not in blocks[1]:
        sys.exit(f"{DOC}: 'The PyTorch modules' should hold two python blocks (LanguageModel/Classifier, then Seq2Seq).")
    namespace = {"__name__": "interop_doc"}
    for block in blocks:
        exec(compile(block, DOC, "exec"), namespace)
    return namespace


def loading_snippets():
    """The 'Recurrent → PyTorch' block, cut at blank lines into its language model, classifier and seq2seq parts."""
    blocks = python_blocks("Recurrent → PyTorch")
    parts = [p for p in blocks[0].split("\n\n") if p.strip()] if len(blocks) == 1 else []
    expected = ['folder = "runs/moby"', 'c = json.load(open("runs/spam/config.json"))', "seq2seq = Seq2Seq("]
    if len(parts) != 3 or any(not p.startswith(e) for p, e in zip(parts, expected)):
        sys.exit(f"{DOC}: 'Recurrent → PyTorch' should be one python block of three paragraphs starting {expected}.")
    return dict(zip(["lm", "classify", "seq2seq"], parts))


def load_with_doc(namespace, snippet, folder, link, result):
    """Runs the doc's loading snippet with runs/<link> pointing at `folder`; returns the variable `result`."""
    with tempfile.TemporaryDirectory() as cwd:
        os.mkdir(os.path.join(cwd, "runs"))
        os.symlink(folder, os.path.join(cwd, "runs", link))
        here = os.getcwd()
        os.chdir(cwd)
        try:
            scope = dict(namespace)
            exec(compile(snippet, DOC, "exec"), scope)
        finally:
            os.chdir(here)
    model = scope[result]
    model.eval()
    return model


# ---- helpers ----

def rnn(*args, stdin=None):
    r = subprocess.run(RNN + [str(a) for a in args], input=stdin, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        sys.exit(f"rnn {' '.join(map(str, args))} failed ({r.returncode}):\n{r.stderr}")
    return r.stdout


def report(name, difference, extra=""):
    ok = difference <= TOLERANCE
    if not ok:
        failures.append(name)
    print(f"{'PASS' if ok else 'FAIL'}  {name:<66} max |diff| {difference:.2e}{extra}", flush=True)


def split_words(text):
    """WordTokenizer: runs of non-whitespace, and every newline as a token of its own."""
    tokens = []
    for word, newline in re.findall(r"(\S+)|(\n)", text):
        tokens.append(word or "\n")
    return tokens


def split(text, tokenizer):
    return list(text) if tokenizer == "char" else split_words(text)


def encode(tokens, vocabulary):
    ids = {t: i for i, t in enumerate(vocabulary)}
    return [ids.get(t, 1) for t in tokens]


def slug(task, name):
    return task + "-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def train(task, folder, options, data):
    if os.path.exists(os.path.join(folder, "model.safetensors")):
        return                                            # --keep with a folder from an earlier run
    rnn(task, "train", "--data", data, "--out", folder, "--seed", 7, *options)


# ---- language model ----

def check_lm(ns, snippet, work):
    text = open(os.path.join(ROOT, "samples", "moby-dick.txt"), encoding="utf-8").read()
    start = text.index("Call me Ishmael")
    train_text = os.path.join(work, "lm-train.txt")
    with open(train_text, "w", encoding="utf-8") as f:
        f.write(text[start:start + 20000])
    eval_text = os.path.join(work, "lm-eval.txt")
    with open(eval_text, "w", encoding="utf-8") as f:
        f.write(text[start + 30000:start + 30480])       # < 513 tokens: the evaluator reads it as one stream
    cases = [
        ("lstm 1 layer, char", ["--cell", "lstm", "--layers", 1, "--tokenizer", "char"]),
        ("gru 2 layers, char", ["--cell", "gru", "--layers", 2, "--tokenizer", "char"]),
        ("rnn (tanh) 2 layers, word", ["--cell", "rnn", "--layers", 2, "--tokenizer", "word"]),
        ("rnn-relu 1 layer, char", ["--cell", "rnn-relu", "--layers", 1, "--tokenizer", "char"]),
        ("gru-original 1 layer, char", ["--cell", "gru-original", "--layers", 1, "--tokenizer", "char"]),
        ("ln-lstm 2 layers, char", ["--cell", "ln-lstm", "--layers", 2, "--tokenizer", "char"]),
    ]
    for name, options in cases:
        folder = os.path.join(work, slug("lm", name))
        train("lm", folder, options + ["--hidden", 24, "--embed", 12, "--batch", 8, "--bptt", 32, "--steps", 40,
                                       "--eval-every", 20, "--dropout", 0.1], train_text)
        ours = json.loads(rnn("lm", "eval", "--model", folder, "--data", eval_text, "--json", "--no-ngram"))   # the network alone
        model = load_with_doc(ns, snippet, folder, "moby", "model")
        config = json.load(open(os.path.join(folder, "config.json")))
        content = open(eval_text, encoding="utf-8").read()
        ids = torch.tensor(encode(split(content, config["tokenizer"]), config["vocabulary"]))
        with torch.no_grad():
            logits, _ = model(ids[:-1, None])
            loss = torch.nn.functional.cross_entropy(logits[:, 0].double(), ids[1:], reduction="mean").item()
        if ours["tokens"] != len(ids) - 1:
            failures.append(f"lm {name}: token count")
            print(f"FAIL  lm {name}: rnn scored {ours['tokens']} tokens, the check {len(ids) - 1}")
        report(f"lm {name}: loss", abs(loss - ours["loss"]), f"   (PyTorch {loss:.6f}, rnn {ours['loss']:.6f} nats)")


# ---- classifier ----

def classify_data(path):
    rng = random.Random(3)
    good, bad = ["great", "lovely", "superb", "fine", "happy"], ["awful", "bad", "poor", "sad", "broken"]
    filler = ["the", "film", "was", "and", "plot", "acting", "really", "quite", "a", "very"]
    with open(path, "w", encoding="utf-8") as f:
        f.write("text,label\n")
        for n in range(160):
            label = n % 2
            words = [rng.choice(filler) for _ in range(rng.randint(3, 14))]
            for _ in range(rng.randint(1, 3)):
                words.insert(rng.randrange(len(words) + 1), rng.choice(good if label else bad).capitalize())
            f.write(f"{' '.join(words)},{'pos' if label else 'neg'}\n")


CLASSIFY_INPUTS = [
    "The film was GREAT and lovely",
    "awful",
    "really quite a bad plot and the acting was poor and sad and broken and the film was very very bad indeed",
    "unseen words only here",
    "Happy sad happy sad fine",
    "",
]


def classify_encode(text, config):
    """ClassificationConfig.Encode: lower-case, tokenize, cut to max_len (head, tail or head+tail), at least one id."""
    if config["lowercase"]:
        text = text.lower()
    ids = encode(split(text, config["tokenizer"]), config["vocabulary"])
    limit = config["max_len"]
    if len(ids) > limit:
        ids = {"head": ids[:limit], "tail": ids[-limit:]}.get(config["truncation"],
                                                              ids[:limit // 2] + ids[len(ids) - (limit - limit // 2):])
    return ids or [0]


def check_classify(ns, snippet, work):
    data = os.path.join(work, "classify.csv")
    classify_data(data)
    cases = [
        ("lstm 1 layer, last", ["--cell", "lstm", "--layers", 1, "--pooling", "last", "--max-len", 12, "--truncate", "head"]),
        ("gru 2 layers bi, last", ["--cell", "gru", "--layers", 2, "--bidirectional", "true", "--pooling", "last", "--max-len", 10, "--truncate", "tail"]),
        ("lstm 2 layers bi, mean", ["--cell", "lstm", "--layers", 2, "--bidirectional", "true", "--pooling", "mean", "--max-len", 9, "--truncate", "head+tail"]),
        ("gru 1 layer bi, max", ["--cell", "gru", "--layers", 1, "--bidirectional", "true", "--pooling", "max"]),
        ("lstm 2 layers bi, attention", ["--cell", "lstm", "--layers", 2, "--bidirectional", "true", "--pooling", "attention", "--max-len", 11]),
        ("gru-original 2 layers bi, mean", ["--cell", "gru-original", "--layers", 2, "--bidirectional", "true", "--pooling", "mean", "--max-len", 10]),
        ("rnn 1 layer, attention, char", ["--cell", "rnn", "--layers", 1, "--pooling", "attention", "--tokenizer", "char", "--max-len", 40]),
    ]
    for name, options in cases:
        folder = os.path.join(work, slug("classify", name))
        train("classify", folder, options + ["--lowercase", "true", "--hidden", 12, "--embed", 8, "--batch", 16,
                                             "--steps", 40, "--eval-every", 20, "--dropout", 0.1], data)
        lines = rnn("classify", "predict", "--model", folder, "--json", stdin="\n".join(CLASSIFY_INPUTS) + "\n").splitlines()
        ours = [json.loads(line) for line in lines]
        model = load_with_doc(ns, snippet, folder, "spam", "classifier")
        config = json.load(open(os.path.join(folder, "config.json")))
        encoded = [classify_encode(t, config) for t in CLASSIFY_INPUTS]
        steps = max(map(len, encoded))
        tokens = torch.zeros(steps, len(encoded), dtype=torch.long)
        for b, ids in enumerate(encoded):
            tokens[:len(ids), b] = torch.tensor(ids)
        lengths = torch.tensor([len(ids) for ids in encoded])
        with torch.no_grad():
            probabilities = model(tokens, lengths).softmax(-1)
        difference = 0.0
        for b, result in enumerate(ours):
            for c, label in enumerate(config["labels"]):
                difference = max(difference, abs(probabilities[b, c].item() - result["probabilities"][label]))
        if len(ours) != len(CLASSIFY_INPUTS):
            difference = float("inf")
        report(f"classify {name}: probabilities", difference, f"   ({len(ours)} texts, lengths {lengths.tolist()})")


# ---- seq2seq ----

def seq2seq_data(path):
    rng = random.Random(5)
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(300):
            word = "".join(rng.choice("abcdefgh") for _ in range(rng.randint(2, 7)))
            f.write(f"{word}\t{' '.join(reversed(word.upper()))}\n")


SEQ2SEQ_INPUTS = ["abc", "hgfedcba", "a", "cafe", "bad", "xyz", "deadbeef"]
MAX_LENGTH = 16      # passed to the CLI too: its default limit follows the longest source of its batch


def greedy(model, sources, limit):
    """Greedy decoding of a padded batch with the doc's Seq2Seq.encode/step: each row takes its first best token
    every step until it emits <eos> (3); <bos> (2) starts. Returns each row's token ids and summed log-probability."""
    lengths = torch.tensor([len(ids) for ids in sources])
    source = torch.zeros(int(lengths.max()), len(sources), dtype=torch.long)
    for b, ids in enumerate(sources):
        source[:len(ids), b] = torch.tensor(ids)
    memory, mask, state = model.encode(source, lengths)
    previous = torch.full((len(sources),), 2, dtype=torch.long)
    outputs, totals, running = [[] for _ in sources], [0.0] * len(sources), [True] * len(sources)
    for _ in range(limit):
        log_probabilities, state = model.step(previous, state, memory, mask)
        previous = log_probabilities.argmax(-1)
        for b in range(len(sources)):
            if running[b]:
                token = int(previous[b])
                totals[b] += log_probabilities[b, token].item()
                if token == 3:
                    running[b] = False
                else:
                    outputs[b].append(token)
    return outputs, totals


def check_seq2seq(ns, snippet, work):
    data = os.path.join(work, "pairs.tsv")
    seq2seq_data(data)
    common = ["--source-tokenizer", "char", "--embed", 8, "--batch", 16, "--steps", 150, "--eval-every", 50, "--dropout", 0.1]
    cases = [
        ("lstm enc 2 bi, dec 2, luong-general", ["--cell", "lstm", "--layers", 2, "--bidirectional", "true", "--hidden", 10,
                                                  "--decoder-layers", 2, "--decoder-hidden", 12, "--attention", "luong-general"]),
        ("gru enc 2 bi, dec 2, bahdanau", ["--cell", "gru", "--layers", 2, "--bidirectional", "true", "--hidden", 10,
                                           "--decoder-layers", 2, "--decoder-hidden", 12, "--attention", "bahdanau", "--attention-size", 9]),
        ("lstm enc 1 bi, dec 1, luong-dot", ["--cell", "lstm", "--layers", 1, "--bidirectional", "true", "--hidden", 8,
                                             "--decoder-layers", 1, "--decoder-hidden", 16, "--attention", "luong-dot"]),
        ("gru enc 2, dec 1, none, reversed", ["--cell", "gru", "--layers", 2, "--bidirectional", "false", "--hidden", 12,
                                              "--decoder-layers", 1, "--decoder-hidden", 12, "--attention", "none", "--reverse-source", "true"]),
        ("lstm enc 1 bi, dec 2, bahdanau, reversed", ["--cell", "lstm", "--layers", 1, "--bidirectional", "true", "--hidden", 10,
                                                      "--decoder-layers", 2, "--decoder-hidden", 12, "--attention", "bahdanau", "--reverse-source", "true"]),
        ("gru-original enc 2 bi, dec 2, bahdanau", ["--cell", "gru-original", "--layers", 2, "--bidirectional", "true", "--hidden", 10,
                                                    "--decoder-layers", 2, "--decoder-hidden", 12, "--attention", "bahdanau"]),
        ("rnn enc 1, dec 1, luong-general", ["--cell", "rnn", "--layers", 1, "--bidirectional", "false", "--hidden", 12,
                                             "--decoder-layers", 1, "--decoder-hidden", 12, "--attention", "luong-general"]),
    ]
    for name, options in cases:
        folder = os.path.join(work, slug("seq2seq", name))
        train("seq2seq", folder, common + options, data)
        lines = rnn("seq2seq", "translate", "--model", folder, "--json", "--max-length", MAX_LENGTH, stdin="\n".join(SEQ2SEQ_INPUTS) + "\n").splitlines()
        ours = [json.loads(line) for line in lines]
        model = load_with_doc(ns, snippet, folder, "g2p", "seq2seq")
        config = json.load(open(os.path.join(folder, "config.json")))
        sources = []
        for text in SEQ2SEQ_INPUTS:
            tokens = [t for t in split(text, config["source_tokenizer"]) if t != "\n"]
            sources.append(encode(tokens, config["source_vocabulary"]) or [1])
        with torch.no_grad():
            outputs, totals = greedy(model, sources, MAX_LENGTH)
        same = len(ours) == len(SEQ2SEQ_INPUTS)
        difference = 0.0
        for output, total, result in zip(outputs, totals, ours):
            same &= [config["target_vocabulary"][t] for t in output] == result["tokens"]
            difference = max(difference, abs(total - result["log_probability"]))
        if not same:
            difference = float("inf")
        report(f"seq2seq {name}: greedy tokens, log p", difference, f"   ({len(ours)} sources, tokens {'equal' if same else 'DIFFER'})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-build", action="store_true", help="use the existing Release build of the CLI")
    parser.add_argument("--keep", help="train into this folder and keep it; models already there are reused (default: a temporary folder)")
    parser.add_argument("--only", choices=["lm", "classify", "seq2seq"], help="run one task's checks")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    if not args.no_build:
        subprocess.run(["dotnet", "build", "-c", "Release", "src/Recurrent.Cli", "-v", "q", "-nologo"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    print(f"torch {torch.__version__}, docs/interop.md, tolerance {TOLERANCE}")
    ns = doc_namespace()
    snippets = loading_snippets()
    work = args.keep or tempfile.mkdtemp(prefix="interop-check-")
    os.makedirs(work, exist_ok=True)
    checks = {"lm": check_lm, "classify": check_classify, "seq2seq": check_seq2seq}
    for task, check in checks.items():
        if args.only in (None, task):
            check(ns, snippets[task], work)
    if not args.keep:
        subprocess.run(["rm", "-rf", work])
    print(f"{len(failures)} failure(s)" if failures else "all checks pass")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
