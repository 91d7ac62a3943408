#!/usr/bin/python3
"""check_ci_templates.py KMBENCH SRC [TEMPLATE...] - the CI templates users copy (docs/ci/)
parse as YAML (Debian's python3-yaml) and run only what exists: every command of every step
(GitHub Actions `run:`, GitLab CI `before_script`, `script`, `after_script`) split into simple
commands, each a script of the repository (scripts/...: there and executable), a kmbench
(build/*/harness/kmbench or kmbench: its subcommand one that `kmbench help` lists), or a
program this machine has (apt-get, git).  Besides: a Debian 12 image, the README's two
commands, a job that keeps results/ci/ as an artifact whatever happened, and with it the
folder scripts/test has the report's browser test put its screenshots in (KMB_SCREENSHOT_DIR).
Prints each problem and exits 1 when there is one; 0 when every template is sound.  Without
TEMPLATE, the two of docs/ci/."""
import os
import re
import shlex
import shutil
import subprocess
import sys

import yaml

kmbench, src = sys.argv[1], sys.argv[2]
templates = sys.argv[3:] or [os.path.join(src, "docs/ci", f)
                             for f in ("github-actions.yml", "gitlab-ci.yml")]
help_text = subprocess.run([kmbench, "help"], capture_output=True, text=True, check=True).stdout
subcommands = set(re.findall(r"^  ([a-z]+)\b", help_text.split("\n\n")[1], re.M))
assert {"run", "list", "env"} <= subcommands, subcommands
problems = []


def screenshot_dir():
    """The folder, relative to the repository, scripts/test sets KMB_SCREENSHOT_DIR to."""
    with open(os.path.join(src, "scripts", "test")) as f:
        m = re.search(r"^export KMB_SCREENSHOT_DIR=\$PWD/(\S+?)/?$", f.read(), re.M)
    if not m:
        problems.append("scripts/test: no `export KMB_SCREENSHOT_DIR=$PWD/...` (where the "
                        "report's browser test puts its screenshots)")
    return m and m.group(1) + "/"


shots = screenshot_dir()


def commands(script):
    """The simple commands of a shell text: lines, then &&, ||, ;, | and the leading VAR=x."""
    for line in script.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        for part in re.split(r"&&|\|\||;|\|", line):
            try:
                words = shlex.split(part, comments=True)
            except ValueError as e:
                problems.append(f"cannot split {part!r}: {e}")
                continue
            while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
                words.pop(0)
            if words:
                yield words


def check_command(where, words):
    prog = words[0]
    if prog.startswith("scripts/"):
        path = os.path.join(src, prog)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            problems.append(f"{where}: {prog} is not an executable script of the repository")
    elif prog == "kmbench" or re.fullmatch(r"build/[a-z]+/harness/kmbench", prog):
        sub = words[1] if len(words) > 1 else ""
        if sub not in subcommands:
            problems.append(f"{where}: kmbench {sub!r} is not a command of kmbench help "
                            f"({', '.join(sorted(subcommands))})")
    elif shutil.which(prog) is None:
        problems.append(f"{where}: {prog} is neither in the repository nor a program here")


for path in templates:
    name = os.path.basename(path)
    try:
        with open(path) as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        problems.append(f"{name}: {e}")
        continue
    if not isinstance(doc, dict):
        problems.append(f"{name}: not a mapping")
        continue
    scripts, images, artifacts = [], [], []
    if "jobs" in doc:                           # GitHub Actions
        if "on" not in doc and True not in doc:  # YAML 1.1 reads the key on as true
            problems.append(f"{name}: no 'on' trigger")
        for job_name, job in doc["jobs"].items():
            container = job.get("container", {})
            images.append(container if isinstance(container, str) else container.get("image"))
            for i, step in enumerate(job.get("steps", [])):
                where = f"{name}: job {job_name}, step {step.get('name', i + 1)!r}"
                if "run" in step:
                    scripts.append((where, step["run"]))
                elif "uses" in step:
                    if not re.fullmatch(r"actions/(checkout|upload-artifact)@v[0-9]+",
                                        step["uses"]):
                        problems.append(f"{where}: uses {step['uses']}, not an action of "
                                        "GitHub's own (actions/checkout, upload-artifact)")
                    if "upload-artifact" in step["uses"]:
                        if step.get("if") != "always()":
                            problems.append(f"{where}: artifacts not kept when a step fails "
                                            "(if: always())")
                        artifacts += step.get("with", {}).get("path", "").split()
                else:
                    problems.append(f"{where}: neither run nor uses")
    else:                                       # GitLab CI: every mapping with a script is a job
        for job_name, job in doc.items():
            if not isinstance(job, dict) or "script" not in job:
                continue
            images.append(job.get("image"))
            for key in ("before_script", "script", "after_script"):
                lines = job.get(key, [])
                for line in [lines] if isinstance(lines, str) else lines:
                    scripts.append((f"{name}: job {job_name}, {key}", line))
            art = job.get("artifacts", {})
            if art.get("when") != "always":
                problems.append(f"{name}: job {job_name}: artifacts not kept when the job fails "
                                "(when: always)")
            artifacts += art.get("paths", [])
    if not scripts:
        problems.append(f"{name}: no job runs anything")
    for image in images:
        if image not in ("debian:12", "debian:bookworm"):
            problems.append(f"{name}: image {image!r}, not Debian 12 (debian:12)")
    ran = [words for where, text in scripts for words in commands(text)]
    for where, text in scripts:
        for words in commands(text):
            check_command(where, words)
    for needed in ("scripts/bench", "scripts/test"):
        if [needed] not in ran:
            problems.append(f"{name}: does not run {needed} (the README's two commands)")
    if "results/ci/" not in artifacts:
        problems.append(f"{name}: does not keep results/ci/ (the ci run's report, the gates)")
    if shots and not any(shots.startswith(a.rstrip("/") + "/") for a in artifacts):
        problems.append(f"{name}: does not keep {shots} (the report's screenshots, "
                        "scripts/test's KMB_SCREENSHOT_DIR)")

for p in problems:
    print(f"FAIL: {p}")
if problems:
    sys.exit(1)
print(f"ok: {len(templates)} templates parse and run only what exists")
