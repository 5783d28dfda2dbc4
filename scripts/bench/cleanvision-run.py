"""Runs cleanvision (the reference image-QC tool) on a folder for `npm run bench`: every default check,
then prints one JSON object: CPU seconds (this process and its worker processes), wall seconds, the
flagged checks per file and the duplicate sets. Usage: cleanvision-run.py <folder>"""
import contextlib
import json
import resource
import sys
import time

from cleanvision import Imagelab

CHECKS = ["dark", "light", "odd_aspect_ratio", "low_information", "blurry", "grayscale", "odd_size", "exact_duplicates", "near_duplicates"]


def cpu_seconds():
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


cpu, wall = cpu_seconds(), time.time()
with contextlib.redirect_stdout(sys.stderr):  # its progress messages; stdout carries only the result
    lab = Imagelab(data_path=sys.argv[1])
    lab.find_issues({check: {} for check in CHECKS}, n_jobs=int(sys.argv[2]) if len(sys.argv) > 2 else None, verbose=False)
cpu, wall = cpu_seconds() - cpu, time.time() - wall
flags = {}
for check in CHECKS[:7]:
    column = f"is_{check}_issue"
    for path in lab.issues.index[lab.issues[column]]:
        flags.setdefault(path, []).append(check)
sets = {check: [list(s) for s in lab.info[check]["sets"]] for check in CHECKS[7:]}
print(json.dumps({"cpuSeconds": cpu, "wallSeconds": wall, "images": len(lab.issues), "flags": flags, "sets": sets}))
