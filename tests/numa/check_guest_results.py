#!/usr/bin/python3
"""Check a results.json written in scripts/numa-guest's 2-node guest (nodes 0 and 1 with CPUs
0-1 and 2-3, distance 20) against that guest.  Usage: check_guest_results.py FILE
Exit 0 when every check passes; prints each failure and exits 1 otherwise."""
import json
import sys

CPU_NODE = {0: 0, 1: 0, 2: 1, 3: 1}
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def main():
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    ctx, runs = doc["context"], doc["benchmarks"]
    topo = ctx["topology"]
    check(topo["numa_nodes"] == 2, f"topology: {topo['numa_nodes']} nodes, not 2")
    check([n["cpus"] for n in topo["nodes"]] == ["0-1", "2-3"],
          f"topology: node CPUs {[n['cpus'] for n in topo['nodes']]}")
    check(topo["distances"] == [[10, 20], [20, 10]], f"distances {topo['distances']}")
    nodes = ctx["backends"]["buddy"]["stats"]["nodes"]
    check(nodes.count("bound to the machine's node with mbind") == 2,
          f"buddy's model nodes are not both bound: {nodes!r}")
    buddy = [r for r in runs if r["kmbench"]["backend"] == "buddy" and "error_message" not in r]
    check(len(buddy) >= 4, f"only {len(buddy)} buddy rows without error")
    seen = set()
    for r in runs:
        k = r["kmbench"]
        check(len(k["cpus"]) == k["threads"] == len(k["nodes"]),
              f"{r['name']}: {k['threads']} threads, cpus {k['cpus']}, nodes {k['nodes']}")
        for cpu, node in zip(k["cpus"], k["nodes"]):
            check(CPU_NODE.get(cpu) == node, f"{r['name']}: CPU {cpu} recorded on node {node}")
        if k["threads"] == 4:
            seen.update(k["nodes"])
    check(seen == {0, 1}, f"4-thread runs recorded nodes {sorted(seen)}, not both")
    for msg in failures:
        print("check_guest_results:", msg)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
