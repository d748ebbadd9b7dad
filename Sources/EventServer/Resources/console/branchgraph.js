// An object's branches as a graph: a lane per branch along its seqs, each fork drawn from its
// parent's lane at the fork seq, each merge (the last one of each pair) as a dashed line from
// the source's seq it read up to into the target's head after it.

import { h } from "./dom.js";

/** The graph of `branches` (the branch listing: name, parent, forkSeq, head, merges). */
export function branchGraph(branches) {
  const lanes = new Map(branches.map((branch, index) => [branch.name, index]));
  const longest = Math.max(1, ...branches.map((branch) => branch.head));
  const width = 560;
  const left = 110;
  const right = 40;
  const lane = 30;
  const height = 16 + lane * branches.length;
  const x = (seq) => left + (seq / longest) * (width - left - right);
  const y = (name) => 18 + lane * lanes.get(name);
  const svg = h("svg", { class: "graph", id: "branch-graph", viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Branch graph: ${branches.map((branch) => branch.parent ? `${branch.name} forked from ${branch.parent} at seq ${branch.forkSeq}, head ${branch.head}` : `${branch.name} head ${branch.head}`).join("; ")}` });
  svg.append(h("title", {}, "Branches, forks and merges"));
  for (const branch of branches) {
    const start = branch.parent ? branch.forkSeq : 0;
    svg.append(h("text", { x: 4, y: y(branch.name) + 4 }, branch.name.length > 14 ? `${branch.name.slice(0, 13)}…` : branch.name));
    if (branch.parent && lanes.has(branch.parent)) {
      svg.append(h("path", { d: `M ${x(start)} ${y(branch.parent)} C ${x(start) + 12} ${y(branch.parent)}, ${x(start) + 4} ${y(branch.name)}, ${x(start) + 16} ${y(branch.name)}` }));
      svg.append(h("circle", { class: "fork", cx: x(start), cy: y(branch.parent), r: 4 }, h("title", {}, `${branch.name} forked from ${branch.parent} at seq ${start}`)));
      svg.append(h("line", { x1: x(start) + 16, x2: Math.max(x(branch.head), x(start) + 16), y1: y(branch.name), y2: y(branch.name) }));
    } else {
      svg.append(h("line", { x1: x(0), x2: x(branch.head), y1: y(branch.name), y2: y(branch.name) }));
    }
    svg.append(h("circle", { cx: Math.max(x(branch.head), branch.parent ? x(start) + 16 : x(0)), cy: y(branch.name), r: 4 }, h("title", {}, `${branch.name} head: seq ${branch.head}`)));
    svg.append(h("text", { x: Math.max(x(branch.head), x(start) + 16) + 8, y: y(branch.name) + 4 }, String(branch.head)));
    for (const merge of branch.merges || []) {
      if (!lanes.has(merge.from)) continue;
      svg.append(h("path", { class: "merge", d: `M ${x(merge.fromSeq)} ${y(merge.from)} L ${x(merge.head)} ${y(branch.name)}` },
        h("title", {}, `${merge.from} merged into ${branch.name} up to seq ${merge.fromSeq}; ${branch.name} at ${merge.head} after it`)));
    }
  }
  return svg;
}
